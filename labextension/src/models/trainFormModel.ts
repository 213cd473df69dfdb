/**
 * The state of the "Train a model" dialog while it is open: the form (trainForm.ts), the data
 * file's columns (read again when the target changes, for the task and classes it implies)
 * and the catalogue of algorithms.
 */
import type { Algorithm, ITrainingAPI } from '../api/training';
import { DatasetFormModel } from './datasetForm';
import {
  ITrainForm,
  ITranslate,
  defaultTexts,
  trainProblems
} from './trainForm';

export interface ITrainFormModelOptions {
  api: Pick<ITrainingAPI, 'inspectDataset' | 'listAlgorithms'>;
  form: ITrainForm;
  trans: ITranslate;
}

/** The dialog's model: the form, the file's columns, the catalogue. */
export class TrainFormModel extends DatasetFormModel<ITrainForm> {
  constructor(options: ITrainFormModelOptions) {
    super(options.api, options.form, options.trans);
    this._api = options.api;
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
  get algorithm(): Algorithm | null {
    return this.algorithms?.find(a => a.name === this._form.algorithm) ?? null;
  }

  /** Read the file (with the last column as the target) and the catalogue. */
  async load(): Promise<void> {
    await Promise.all([this._loadCatalogue(), this.loadDataset()]);
  }

  update(change: Partial<ITrainForm>): void {
    this.applyChange(change, {});
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

  protected formProblems(): string[] {
    return trainProblems(this._form, this.algorithm, this._trans);
  }

  protected onDataset(): void {
    void this._loadCatalogue();
    this._fitAlgorithm();
    super.onDataset();
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
  private readonly _catalogues = new Map<string, Algorithm[]>();
  private readonly _asking = new Set<string>();
  private _algorithmsError: string | null = null;
}
