/**
 * Where the runs table remembers the columns chosen for each experiment, and their widths.
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

/** Where the widths the user dragged the value columns to are remembered, per experiment. */
export interface IColumnWidthStore {
  /** Pixels per column, e.g. {"metrics.accuracy": 160}; empty when none was resized. */
  loadWidths(experimentId: number): Record<string, number>;
  saveWidths(experimentId: number, widths: Record<string, number>): void;
}

/** Remembers column widths in the browser's localStorage, one key per experiment. */
export class LocalStorageColumnWidths implements IColumnWidthStore {
  constructor(
    private readonly _storage: Storage | null = browserStorage(),
    private readonly _prefix = 'jupyter-studio:runs-table-widths:'
  ) {}

  loadWidths(experimentId: number): Record<string, number> {
    try {
      const text = this._storage?.getItem(this._prefix + experimentId);
      const value: unknown = text ? JSON.parse(text) : null;
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        return {};
      }
      return Object.fromEntries(
        Object.entries(value).filter(
          (entry): entry is [string, number] =>
            typeof entry[1] === 'number' && Number.isFinite(entry[1])
        )
      );
    } catch {
      return {}; // Storage disabled or a damaged entry: the default widths.
    }
  }

  saveWidths(experimentId: number, widths: Record<string, number>): void {
    try {
      this._storage?.setItem(
        this._prefix + experimentId,
        JSON.stringify(widths)
      );
    } catch {
      // Storage full or disabled: the widths last for this session only.
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
