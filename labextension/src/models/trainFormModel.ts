/**
 * The state of the "Train a model" dialog while it is open: the form (trainForm.ts), the data
 * file's columns (read again when the target changes, for the task and classes it implies)
 * and the catalogue of algorithms. The AutoML dialog reads its file with `DatasetInspector` too.
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { Algorithm, Dataset, ITrainingAPI, Task } from '../api/training';
import {
  ITrainForm,
  ITranslate,
  defaultTexts,
  trainProblems
} from './trainForm';

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

export interface ITrainFormModelOptions {
  api: Pick<ITrainingAPI, 'inspectDataset' | 'listAlgorithms'>;
  form: ITrainForm;
  trans: ITranslate;
}

/** The dialog's model: the form, the file's columns, the catalogue. */
export class TrainFormModel implements IDisposable {
  constructor(options: ITrainFormModelOptions) {
    this._api = options.api;
    this._form = options.form;
    this._trans = options.trans;
    this.dataset = new DatasetInspector(options.api, options.form.path);
    this.dataset.stateChanged.connect(this._onDataset, this);
  }

  readonly dataset: DatasetInspector;

  get form(): ITrainForm {
    return this._form;
  }
  /**
   * The installed algorithms that serve the task, with the hyperparameters that apply to it
   * (class weights: classification only); null until read.
   */
  get algorithms(): readonly Algorithm[] | null {
    return this._catalogues.get(this.task ?? '') ?? null;
  }
  get algorithmsError(): string | null {
    return this._algorithmsError;
  }
  /** The task trained for: the one chosen, else the one detected. */
  get task(): Task | null {
    return this._form.task || this.dataset.dataset?.task || null;
  }
  get algorithm(): Algorithm | null {
    return this.algorithms?.find(a => a.name === this._form.algorithm) ?? null;
  }
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** Read the file (with the last column as the target) and the catalogue. */
  async load(): Promise<void> {
    await Promise.all([this._loadCatalogue(), this._loadDataset()]);
  }

  update(change: Partial<ITrainForm>): void {
    const targetChanged =
      change.target !== undefined && change.target !== this._form.target;
    this._form = { ...this._form, ...change };
    if (targetChanged) {
      // The detected task is the new target's: a task chosen for the old one no longer holds.
      this._form = { ...this._form, task: change.task ?? '' };
      void this.dataset.inspect(this._form.target || null);
    }
    void this._loadCatalogue();
    this._fitAlgorithm();
    this._stateChanged.emit();
  }

  /** Choose an algorithm: its hyperparameters start at their defaults. */
  setAlgorithm(name: string): void {
    const algorithm = this.algorithms?.find(a => a.name === name);
    this.update({
      algorithm: name,
      hyperparameters: algorithm ? defaultTexts(algorithm) : {}
    });
  }

  setHyperparameter(name: string, text: string): void {
    this.update({
      hyperparameters: { ...this._form.hyperparameters, [name]: text }
    });
  }

  /** Why the form cannot be sent yet; empty when it can. */
  problems(): string[] {
    const problems = trainProblems(this._form, this.algorithm, this._trans);
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

  private async _loadDataset(): Promise<void> {
    await this.dataset.inspect(this._form.target || null);
    const dataset = this.dataset.dataset;
    if (!this._form.target && dataset && !this._disposed) {
      this.update({ target: defaultTarget(dataset) });
    }
  }

  /** Read the catalogue for the task, once per task. */
  private async _loadCatalogue(): Promise<void> {
    const task = this.task;
    const key = task ?? '';
    if (this._catalogues.has(key) || this._asking.has(key)) {
      return;
    }
    this._asking.add(key);
    try {
      this._catalogues.set(
        key,
        await this._api.listAlgorithms(task ?? undefined)
      );
      this._algorithmsError = null;
    } catch (error) {
      this._algorithmsError =
        error instanceof Error ? error.message : String(error);
    }
    this._asking.delete(key);
    if (!this._disposed) {
      this._fitAlgorithm();
      this._stateChanged.emit();
    }
  }

  private _onDataset(): void {
    void this._loadCatalogue();
    this._fitAlgorithm();
    this._stateChanged.emit();
  }

  /** Keep an algorithm that serves the task chosen: the first of the catalogue's, else. */
  private _fitAlgorithm(): void {
    const algorithms = this.algorithms;
    if (this.algorithm || algorithms === null) {
      return;
    }
    const first = algorithms[0];
    this._form = {
      ...this._form,
      algorithm: first?.name ?? '',
      hyperparameters: first ? defaultTexts(first) : {}
    };
  }

  private readonly _api: Pick<
    ITrainingAPI,
    'inspectDataset' | 'listAlgorithms'
  >;
  private readonly _trans: ITranslate;
  private readonly _stateChanged = new Signal<this, void>(this);
  private _form: ITrainForm;
  private readonly _catalogues = new Map<string, Algorithm[]>();
  private readonly _asking = new Set<string>();
  private _algorithmsError: string | null = null;
  private _disposed = false;
}
