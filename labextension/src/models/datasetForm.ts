/**
 * What the "Train a model" and "Run AutoML" dialogs' models share: a form over a data file
 * whose target column decides the task, the file's columns (inspected again, the last question
 * winning, when the target changes) and the problems that keep the form from being sent, the
 * file's own first.
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { Dataset, ITrainingAPI, Task } from '../api/training';
import type { ITranslate } from './trainForm';

/** A data file's columns, inspected again (the last question wins) when the target changes. */
export class DatasetInspector implements IDisposable {
  constructor(
    private readonly _api: Pick<ITrainingAPI, 'inspectDataset'>,
    readonly path: string
  ) {}

  get dataset(): Dataset | null {
    return this._dataset;
  }
  get error(): string | null {
    return this._error;
  }
  get loading(): boolean {
    return this._loading;
  }
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** Read the file, with the task and classes `target` implies. */
  async inspect(target: string | null): Promise<void> {
    const asked = ++this._asked;
    this._loading = true;
    this._stateChanged.emit();
    try {
      const dataset = await this._api.inspectDataset(this.path, target);
      if (asked !== this._asked || this._disposed) {
        return;
      }
      this._dataset = dataset;
      this._error = null;
    } catch (error) {
      if (asked !== this._asked || this._disposed) {
        return;
      }
      this._error = error instanceof Error ? error.message : String(error);
    }
    this._loading = false;
    this._stateChanged.emit();
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (!this._disposed) {
      this._disposed = true;
      Signal.clearData(this);
    }
  }

  private readonly _stateChanged = new Signal<this, void>(this);
  private _dataset: Dataset | null = null;
  private _error: string | null = null;
  private _loading = false;
  private _asked = 0;
  private _disposed = false;
}

/** The column preselected as the target: the last one, the usual place of a label. */
export function defaultTarget(dataset: Dataset): string {
  return dataset.columns.length
    ? dataset.columns[dataset.columns.length - 1].name
    : '';
}

/** The fields every form over a data file has. */
export interface IDatasetForm {
  path: string;
  target: string;
  /** '' means the task detected from the target. */
  task: Task | '';
}

/** A dialog's model over a data file: the form, the file's columns and what is wrong. */
export abstract class DatasetFormModel<
  F extends IDatasetForm
> implements IDisposable {
  constructor(
    api: Pick<ITrainingAPI, 'inspectDataset'>,
    form: F,
    trans: ITranslate
  ) {
    this._form = form;
    this._trans = trans;
    this.dataset = new DatasetInspector(api, form.path);
    this.dataset.stateChanged.connect(this.onDataset, this);
  }

  readonly dataset: DatasetInspector;

  get form(): F {
    return this._form;
  }
  /** The task the form is for: the one chosen, else the one detected. */
  get task(): Task | null {
    return this._form.task || this.dataset.dataset?.task || null;
  }
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  abstract update(change: Partial<F>): void;

  /** Why the form cannot be sent yet; empty when it can. */
  problems(): string[] {
    const problems = this.formProblems();
    if (this.dataset.error) {
      problems.unshift(this.dataset.error);
    }
    return problems;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this.dataset.dispose();
    Signal.clearData(this);
  }

  /**
   * Apply `change` to the form. A new target reads the file again, and `onNewTarget` resets
   * what was chosen for the old one (the task detected is the new target's, unless `change`
   * chooses one).
   */
  protected applyChange(change: Partial<F>, onNewTarget: Partial<F>): void {
    const targetChanged =
      change.target !== undefined && change.target !== this._form.target;
    this._form = { ...this._form, ...change };
    if (targetChanged) {
      this._form = {
        ...this._form,
        task: change.task ?? '',
        ...onNewTarget
      };
      void this.dataset.inspect(this._form.target || null);
    }
  }

  /** The form's own problems. */
  protected abstract formProblems(): string[];

  /** The file's columns changed (read, or read again for a new target). */
  protected onDataset(): void {
    this._stateChanged.emit();
  }

  /** Read the file, with the last column as the target unless one is given. */
  protected async loadDataset(): Promise<void> {
    await this.dataset.inspect(this._form.target || null);
    const dataset = this.dataset.dataset;
    if (!this._form.target && dataset && !this._disposed) {
      this.update({ target: defaultTarget(dataset) } as Partial<F>);
    }
  }

  protected readonly _trans: ITranslate;
  protected readonly _stateChanged = new Signal<this, void>(this);
  protected _form: F;
  protected _disposed = false;
}
