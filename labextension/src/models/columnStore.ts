/**
 * Where the runs table remembers the columns chosen for each experiment.
 */

/** Where the chosen columns of each experiment are remembered. */
export interface IColumnStore {
  /** The columns chosen for this experiment, or null when none were chosen. */
  load(experimentId: number): string[] | null;
  /** Remember a choice; null forgets it (back to the defaults). */
  save(experimentId: number, columns: string[] | null): void;
}

/** Remembers column choices in the browser's localStorage, one key per experiment. */
export class LocalStorageColumnStore implements IColumnStore {
  constructor(
    private readonly _storage: Storage | null = browserStorage(),
    private readonly _prefix = 'jupyter-studio:runs-table-columns:'
  ) {}

  load(experimentId: number): string[] | null {
    try {
      const text = this._storage?.getItem(this._prefix + experimentId);
      const value: unknown = text ? JSON.parse(text) : null;
      return Array.isArray(value)
        ? value.filter(item => typeof item === 'string')
        : null;
    } catch {
      return null; // Storage disabled or a damaged entry: fall back on the defaults.
    }
  }

  save(experimentId: number, columns: string[] | null): void {
    try {
      if (columns === null) {
        this._storage?.removeItem(this._prefix + experimentId);
      } else {
        this._storage?.setItem(
          this._prefix + experimentId,
          JSON.stringify(columns)
        );
      }
    } catch {
      // Storage full or disabled: the choice lasts for this session only.
    }
  }
}

function browserStorage(): Storage | null {
  try {
    return typeof window === 'undefined' ? null : window.localStorage;
  } catch {
    return null;
  }
}
