/**
 * The "Create notebook job" dialog's state: the form (jobForm.ts), the notebook's detected
 * parameters and kernels (read once), and the schedule's meaning in words with its next times,
 * asked of the server (so that the dialog and the scheduler agree) a moment after typing stops.
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { IJobsAPI, KernelChoice, SchedulePreview } from '../api/jobs';
import { IJobForm, IParameterRow, cronOf } from './jobForm';

/** How long the schedule preview waits after the last keystroke. */
export const PREVIEW_DELAY_MS = 400;

export interface IJobFormModelOptions {
  api: Pick<IJobsAPI, 'inspectNotebook' | 'previewSchedule'>;
  form: IJobForm;
  /** Editing a definition: its schedule stays a schedule, its parameters are merged. */
  editing?: boolean;
  previewDelayMs?: number;
}

/** The dialog's model: the form, the notebook's parameters and kernels, the preview. */
export class JobFormModel implements IDisposable {
  constructor(options: IJobFormModelOptions) {
    this._api = options.api;
    this._form = options.form;
    this.editing = options.editing ?? false;
    this._delay = options.previewDelayMs ?? PREVIEW_DELAY_MS;
  }

  readonly editing: boolean;

  get form(): IJobForm {
    return this._form;
  }
  get kernels(): readonly KernelChoice[] {
    return this._kernels;
  }
  /** The notebook's own kernel, as the notebook names it. */
  get notebookKernel(): string | null {
    return this._notebookKernel;
  }
  get notebookLoaded(): boolean {
    return this._notebookLoaded;
  }
  get notebookError(): string | null {
    return this._notebookError;
  }
  get preview(): SchedulePreview | null {
    return this._preview;
  }
  /** The server's message for an invalid schedule. */
  get previewError(): string | null {
    return this._previewError;
  }
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }
  /** The cron expression the form's schedule stands for now. */
  get cron(): string {
    return cronOf(this._form);
  }

  /** Change fields; a change to the schedule asks for a new preview after a pause. */
  update(change: Partial<IJobForm>): void {
    const before = this._scheduleKey();
    this._form = { ...this._form, ...change };
    this._stateChanged.emit();
    if (this._scheduleKey() !== before) {
      this.schedulePreview();
    }
  }

  setParameter(name: string, text: string): void {
    this.update({
      parameters: this._form.parameters.map(row =>
        row.name === name ? { ...row, text } : row
      )
    });
  }

  /** Read the notebook's parameters and the kernels; the form's own values stay. */
  async loadNotebook(): Promise<void> {
    try {
      const info = await this._api.inspectNotebook(this._form.notebookPath);
      if (this._disposed) {
        return;
      }
      const current = new Map(
        this._form.parameters.map(row => [row.name, row])
      );
      const detected: IParameterRow[] = info.parameters.map(parameter => {
        // The notebook's own source text: `parseParameter` reads Python literals.
        const defaultText = parameter.default;
        const mine = current.get(parameter.name);
        return {
          name: parameter.name,
          defaultText,
          text: mine?.text ?? defaultText,
          given: mine?.given ?? false
        };
      });
      const names = new Set(detected.map(row => row.name));
      // A definition's parameter the notebook no longer declares is still sent.
      const extra = this._form.parameters.filter(row => !names.has(row.name));
      this._form = { ...this._form, parameters: [...detected, ...extra] };
      this._kernels = info.kernels;
      this._notebookKernel = info.kernel_name;
      this._notebookError = null;
    } catch (error) {
      this._notebookError =
        error instanceof Error ? error.message : String(error);
    }
    this._notebookLoaded = true;
    this._stateChanged.emit();
  }

  /** Ask for the schedule's words and next times once typing pauses. */
  schedulePreview(): void {
    this._clearTimer();
    if (this._form.mode !== 'schedule') {
      return;
    }
    this._timer = setTimeout(() => {
      this._timer = null;
      void this.loadPreview();
    }, this._delay);
  }

  /** Ask for the schedule's words and next times now (the last question's answer wins). */
  async loadPreview(): Promise<void> {
    const cron = this.cron;
    const timezone = this._form.timezone.trim() || 'UTC';
    const asked = ++this._asked;
    if (cron === '') {
      this._preview = null;
      this._previewError = null;
      this._stateChanged.emit();
      return;
    }
    try {
      const preview = await this._api.previewSchedule(cron, timezone, 5);
      if (asked !== this._asked || this._disposed) {
        return;
      }
      this._preview = preview;
      this._previewError = null;
    } catch (error) {
      if (asked !== this._asked || this._disposed) {
        return;
      }
      this._preview = null;
      this._previewError =
        error instanceof Error ? error.message : String(error);
    }
    this._stateChanged.emit();
  }

  /** Why the form cannot be sent yet, or null. */
  problem(): string | null {
    if (this._form.mode === 'schedule') {
      if (this.cron === '') {
        return 'A schedule needs a cron expression.';
      }
      if (this._previewError !== null) {
        return this._previewError;
      }
    }
    return null;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._clearTimer();
    Signal.clearData(this);
  }

  private _scheduleKey(): string {
    return `${this._form.mode}|${this.cron}|${this._form.timezone}`;
  }

  private _clearTimer(): void {
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private readonly _api: Pick<IJobsAPI, 'inspectNotebook' | 'previewSchedule'>;
  private readonly _delay: number;
  private readonly _stateChanged = new Signal<this, void>(this);
  private _form: IJobForm;
  private _kernels: readonly KernelChoice[] = [];
  private _notebookKernel: string | null = null;
  private _notebookLoaded = false;
  private _notebookError: string | null = null;
  private _preview: SchedulePreview | null = null;
  private _previewError: string | null = null;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _asked = 0;
  private _disposed = false;
}
