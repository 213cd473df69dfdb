/**
 * Opening what a run points at in JupyterLab: its source notebook, a copy of an artifact.
 */
import type { Contents } from '@jupyterlab/services';

/** Where copies of artifacts are saved, under the server root (hidden folders are refused). */
export const ARTIFACT_COPIES_FOLDER = 'studio-artifacts';

/** Usual home folders: "/home/me", "/root", "/Users/me", "C:/Users/me". */
const HOME_FOLDER =
  /^(?:\/home\/[^/]+|\/root|\/Users\/[^/]+|[A-Za-z]:\/Users\/[^/]+)(?=\/)/;

function slashes(path: string): string {
  return path.replace(/\\/g, '/');
}

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}

/**
 * The path of `source` relative to the server root, as JupyterLab's document manager takes it;
 * null when it lies outside the root.
 *
 * `source` is what the run recorded: the absolute path of the notebook (as jupyter_server tells
 * each kernel) or of the script, or already a path relative to the root. `serverRoot` is the
 * page config's `serverRoot`, which may start with `~` (the server's home, unknown here).
 */
export function serverPath(source: string, serverRoot: string): string | null {
  const path = slashes(source);
  const absolute = path.startsWith('/') || /^[A-Za-z]:\//.test(path);
  if (!absolute) {
    return path.startsWith('../')
      ? null
      : trimSlashes(path.replace(/^\.\//, ''));
  }
  let root = slashes(serverRoot).replace(/\/+$/, '');
  let rest = path;
  if (root.startsWith('~')) {
    // The server's home folder is unknown here: take a usual one.
    const home = path.match(HOME_FOLDER);
    if (!home) {
      return null;
    }
    rest = path.slice(home[0].length);
    root = root.slice(1);
  }
  if (root === '' || root === '/' || rest === root) {
    return rest === root ? '' : trimSlashes(rest);
  }
  return rest.startsWith(`${root}/`)
    ? trimSlashes(rest.slice(root.length))
    : null;
}

/** The path, under the server root, of the copy of a run's artifact. */
export function artifactCopyPath(runId: string, artifactPath: string): string {
  return `${ARTIFACT_COPIES_FOLDER}/${runId}/${trimSlashes(slashes(artifactPath))}`;
}

/**
 * Save a copy of an artifact's text where JupyterLab can open it; resolves with its path.
 *
 * A notebook is saved as a notebook (so it opens with the notebook editor); anything else, or
 * a notebook that is not valid JSON, as a text file. An earlier copy is replaced.
 */
export async function saveArtifactCopy(
  contents: Contents.IManager,
  runId: string,
  artifactPath: string,
  text: string
): Promise<string> {
  const target = artifactCopyPath(runId, artifactPath);
  const parts = target.split('/');
  for (let i = 1; i < parts.length; i++) {
    await contents.save(parts.slice(0, i).join('/'), { type: 'directory' });
  }
  let notebook: unknown = null;
  if (target.toLowerCase().endsWith('.ipynb')) {
    try {
      notebook = JSON.parse(text);
    } catch {
      notebook = null;
    }
  }
  if (notebook !== null && typeof notebook === 'object') {
    await contents.save(target, {
      type: 'notebook',
      format: 'json',
      content: notebook
    });
  } else {
    await contents.save(target, {
      type: 'file',
      format: 'text',
      content: text
    });
  }
  return target;
}
