/**
 * A run's artifacts as a tree: folders expand, files download, text files and notebooks open.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';

import type { Artifact } from '../api/types';

/** Artifacts JupyterLab opens as documents: text files and notebooks. */
const OPENABLE = new Set([
  'cfg',
  'csv',
  'html',
  'ini',
  'ipynb',
  'json',
  'log',
  'md',
  'py',
  'r',
  'sh',
  'toml',
  'tsv',
  'txt',
  'xml',
  'yaml',
  'yml'
]);
/** Text files known by name (MLflow-style model folders). */
const OPENABLE_NAMES = new Set(['MLmodel', 'LICENSE', 'README']);
/** Larger files are only downloaded: a copy that size does not belong in the workspace. */
/** Python, shown as written: code is not translated. */
const LOG_ARTIFACT_EXAMPLE = 'run.log_artifact("model.pkl")';

export const MAX_OPEN_BYTES = 20 * 1024 * 1024;

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Whether JupyterLab can open this artifact (a text file or a notebook, not too large). */
export function isOpenable(artifact: Artifact): boolean {
  if (artifact.is_dir || (artifact.size ?? 0) > MAX_OPEN_BYTES) {
    return false;
  }
  const name = baseName(artifact.path);
  const dot = name.lastIndexOf('.');
  return (
    OPENABLE_NAMES.has(name) ||
    (dot > 0 && OPENABLE.has(name.slice(dot + 1).toLowerCase()))
  );
}

export function formatBytes(size: number | null): string {
  if (size === null) {
    return '';
  }
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0
    ? `${value} B`
    : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export interface IArtifactTreeProps {
  folders: ReadonlyMap<string, Artifact[]>;
  expanded: ReadonlySet<string>;
  error: string | null;
  /** The download URL of a file. */
  downloadUrl: (path: string) => string;
  onToggleFolder: (path: string) => void;
  /** Absent when artifacts cannot be opened here (no contents manager). */
  onOpen?: (path: string) => void;
  trans: TranslationBundle;
}

function ArtifactItems(
  props: IArtifactTreeProps & { path: string; depth: number }
): JSX.Element {
  const { trans } = props;
  const items = props.folders.get(props.path);
  if (!items) {
    return (
      <li className="jp-Studio-artifact-loading">{trans.__('Loading…')}</li>
    );
  }
  if (items.length === 0 && props.depth > 0) {
    return (
      <li className="jp-Studio-artifact-loading">
        {trans.__('(empty folder)')}
      </li>
    );
  }
  return (
    <>
      {items.map(item => {
        const open = props.expanded.has(item.path);
        const indent = { paddingLeft: `${8 + props.depth * 16}px` };
        return (
          <React.Fragment key={item.path}>
            <li
              className="jp-Studio-artifact"
              data-testid="studio-artifact"
              data-path={item.path}
              data-kind={item.is_dir ? 'folder' : 'file'}
            >
              {item.is_dir ? (
                <button
                  className="jp-Studio-artifact-folder"
                  style={indent}
                  aria-expanded={open}
                  onClick={() => props.onToggleFolder(item.path)}
                >
                  <span className="jp-Studio-caret">{open ? '▾' : '▸'}</span>
                  {baseName(item.path)}/
                </button>
              ) : (
                <span className="jp-Studio-artifact-name" style={indent}>
                  {baseName(item.path)}
                </span>
              )}
              <span className="jp-Studio-artifact-size">
                {formatBytes(item.size)}
              </span>
              {!item.is_dir && (
                <span className="jp-Studio-artifact-actions">
                  {props.onOpen && isOpenable(item) && (
                    <button
                      className="jp-Studio-linkButton"
                      data-testid="studio-artifact-open"
                      onClick={() => props.onOpen?.(item.path)}
                    >
                      {trans.__('Open')}
                    </button>
                  )}
                  <a
                    className="jp-Studio-link"
                    data-testid="studio-artifact-download"
                    href={props.downloadUrl(item.path)}
                    download={baseName(item.path)}
                  >
                    {trans.__('Download')}
                  </a>
                </span>
              )}
            </li>
            {item.is_dir && open && (
              <ArtifactItems
                {...props}
                path={item.path}
                depth={props.depth + 1}
              />
            )}
          </React.Fragment>
        );
      })}
    </>
  );
}

export function ArtifactTree(props: IArtifactTreeProps): JSX.Element {
  const { trans } = props;
  if (props.error) {
    return <div className="jp-Studio-error">{props.error}</div>;
  }
  const top = props.folders.get('');
  if (top && top.length === 0) {
    return (
      <div className="jp-Studio-emptyNote" data-testid="studio-artifacts">
        <p>{trans.__('No artifacts in this run. Log a file or a folder:')}</p>
        <pre>{LOG_ARTIFACT_EXAMPLE}</pre>
      </div>
    );
  }
  return (
    <ul className="jp-Studio-artifacts" data-testid="studio-artifacts">
      <ArtifactItems {...props} path="" depth={0} />
    </ul>
  );
}
