/**
 * State of a run's Debugger tab: the watched tensors, the chosen statistic of the chosen
 * tensors over steps, the first one's histograms, the rules and their findings, and the step a
 * finding points at. Refreshed live while the run is running and the tab is seen.
 */
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type {
  IDebuggerAPI,
  Finding,
  Histograms,
  RuleState,
  TensorInfo
} from '../api/debugger';
import type { ISettingsHolder } from '../tokens';
import { LiveRefresh } from './liveRefresh';
import {
  CHART_KEY,
  focusRange,
  groupTensors,
  IStatLine,
  ITensorGroup,
  statKey,
  statLine,
  statOfFinding,
  statsAsHistories,
  TensorGrouping
} from './debuggerTensors';
import { TensorHistograms } from './tensorHistograms';
import { ChartZooms, IStepSpan, IZoomAPI } from './zoom';

/** About how many points of each statistic the server sends (it keeps the extremes). */
export const STAT_MAX_POINTS = 1000;
/** The statistic shown first. */
export const DEFAULT_STAT = 'l2';
export interface IDebuggerModelOptions {
  api: IDebuggerAPI;
  runId: string;
  settings: ISettingsHolder;
  maxPoints?: number;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Loads and keeps what the Debugger tab shows; `stateChanged` says when any of it changed. */
export class DebuggerModel implements IDisposable {
  constructor(options: IDebuggerModelOptions) {
    this._api = options.api;
    this.runId = options.runId;
    this._zoomAPI = statsAsHistories(options.api, options.runId);
    this._heatmap = new TensorHistograms(options.api, options.runId);
    this._maxPoints = options.maxPoints ?? STAT_MAX_POINTS;
    this._live = new LiveRefresh({
      name: `studio:debugger:${this.runId}`,
      settings: options.settings,
      load: () => this._load()
    });
    this.zooms = new ChartZooms(this._zoomAPI);
    this.zooms.changed.connect(this._onZoom, this);
  }

  readonly runId: string;
  /** The statistic chart's zoom (one chart: its lines are keyed by series key). */
  readonly zooms: ChartZooms;

  get stateChanged(): ISignal<DebuggerModel, void> {
    return this._changed;
  }
  get tensors(): readonly TensorInfo[] {
    return this._tensors;
  }
  /** The tensors of the chosen mode, grouped as chosen and filtered. */
  get groups(): ITensorGroup[] {
    return groupTensors(
      this._tensors.filter(tensor => tensor.mode === this._mode),
      this._grouping,
      this._filter
    );
  }
  get modes(): readonly string[] {
    return this._modes;
  }
  get mode(): string {
    return this._mode;
  }
  get stat(): string {
    return this._stat;
  }
  /** The statistics the chosen tensors have (every one the first has). */
  get stats(): string[] {
    const first = this._info(this._selected[0]);
    return first ? first.stats : [];
  }
  get grouping(): TensorGrouping {
    return this._grouping;
  }
  get filter(): string {
    return this._filter;
  }
  /** The chosen tensors, the first one's histograms shown. */
  get selected(): readonly string[] {
    return this._selected;
  }
  get lines(): readonly IStatLine[] {
    return this._lines;
  }
  get histograms(): Histograms | null {
    return this._heatmap.current;
  }
  get rules(): readonly RuleState[] {
    return this._rules;
  }
  /** Every finding of the run, the newest first. */
  get findings(): readonly Finding[] {
    return this._findings;
  }
  /** The step marked on the charts (a finding's, or the one the panel was opened at). */
  get focusStep(): number | null {
    return this._focusStep;
  }
  get focusFindingId(): number | null {
    return this._focusFindingId;
  }
  get error(): string | null {
    return this._error;
  }
  get loading(): boolean {
    return this._loading;
  }
  get isLive(): boolean {
    return this._live.isLive;
  }
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Poll only while the tab is seen; catch up once when it is seen again. */
  setActive(active: boolean): void {
    this._live.setActive(active);
  }

  /** Refresh every interval while the run is running. */
  setLive(live: boolean): void {
    if (!this._live.setLive(live)) {
      return;
    }
    this._emit();
    if (!live) {
      // The run ended since the last tick: what it recorded last shows too.
      this.refresh().catch(() => undefined);
    }
  }

  /** Load everything again (one load at a time; callers during a load share it). */
  refresh(): Promise<void> {
    return this._live.refresh();
  }

  set filter(filter: string) {
    this._filter = filter;
    this._emit();
  }

  set grouping(grouping: TensorGrouping) {
    this._grouping = grouping;
    this._emit();
  }

  /** Show `tensor`; with `add`, beside those shown (a second click takes it away again). */
  async select(tensor: string, add = false): Promise<void> {
    let selected: string[];
    if (!add) {
      selected = [tensor];
    } else if (this._selected.includes(tensor)) {
      selected = this._selected.filter(name => name !== tensor);
    } else {
      selected = [...this._selected, tensor];
    }
    await this._show(selected, this._mode, this._stat);
  }

  async setStat(stat: string): Promise<void> {
    await this._show(this._selected, this._mode, stat);
  }

  async setMode(mode: string): Promise<void> {
    const names = this._tensors.filter(tensor => tensor.mode === mode);
    const kept = this._selected.filter(name =>
      names.some(tensor => tensor.name === name)
    );
    await this._show(
      kept.length ? kept : names.slice(0, 1).map(t => t.name),
      mode,
      this._stat
    );
  }

  /**
   * Mark `step` on the charts and zoom around it; with `tensor` (else the first finding at
   * that step's first tensor) shown alone.
   */
  async focus(step: number, tensor?: string, mode?: string): Promise<void> {
    await this._ready;
    const finding = this._findings.find(
      item =>
        item.step === step &&
        (tensor === undefined || item.tensors.includes(tensor))
    );
    this._focusFindingId = finding?.id ?? null;
    this._focusStep = step;
    const name = tensor ?? finding?.tensors[0];
    const inMode = mode ?? finding?.mode ?? this._mode;
    const stat =
      (finding && statOfFinding(finding, this._info(name ?? '', inMode))) ??
      this._stat;
    if (name !== undefined && this._info(name, inMode)) {
      await this._show([name], inMode, stat, false);
    }
    await this._zoomToFocus();
  }

  /** Select a finding: its first tensor, its step marked and zoomed around. */
  focusFinding(finding: Finding): Promise<void> {
    return this.focus(finding.step, finding.tensors[0], finding.mode);
  }

  /** Back to every step, the mark kept. */
  zoomOut(): void {
    this.zooms.reset(CHART_KEY);
  }

  /** Fetch the points of a dragged range (by series key). */
  zoom(spans: Record<string, IStepSpan>, maxPoints: number): void {
    void this.zooms.zoom(CHART_KEY, spans, maxPoints);
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._live.dispose();
    this.zooms.dispose();
    Signal.clearData(this);
  }

  private async _load(): Promise<void> {
    try {
      const [list, rules, findings] = await Promise.all([
        this._api.listTensors(this.runId),
        this._api.getRules(this.runId),
        this._api.getFindings(this.runId)
      ]);
      if (this._isDisposed) {
        return;
      }
      this._tensors = list.tensors;
      this._modes = list.modes.length
        ? list.modes
        : [...new Set(list.tensors.map(tensor => tensor.mode))];
      this._rules = rules;
      this._findings = [...findings].sort((a, b) => b.id - a.id);
      this._error = null;
    } catch (error) {
      this._error = message(error);
      this._loading = false;
      this._resolveReady();
      this._emit();
      throw error;
    }
    if (!this._modes.includes(this._mode) && this._modes.length) {
      this._mode = this._modes[0];
    }
    let selected = this._selected.filter(name => this._info(name));
    if (selected.length === 0) {
      const first = this._firstTensor();
      selected = first ? [first] : [];
    }
    const grown = new Map(
      this._lines.map(line => [line.key, line.steps.at(-1)])
    );
    await this._show(selected, this._mode, this._stat, false);
    this._loading = false;
    this._resolveReady();
    this._emit();
    for (const line of this._lines) {
      const before = grown.get(line.key);
      if (before !== undefined) {
        void this.zooms.grew(CHART_KEY, line.key, before);
      }
    }
  }

  /** The tensor shown first: the one of the newest finding, else the first by name. */
  private _firstTensor(): string | null {
    const named = this._findings.find(finding =>
      finding.tensors.some(name => this._info(name))
    );
    if (named) {
      return named.tensors.find(name => this._info(name))!;
    }
    return this.groups[0]?.tensors[0]?.name ?? null;
  }

  private _info(
    name: string,
    mode: string = this._mode
  ): TensorInfo | undefined {
    return this._tensors.find(
      tensor => tensor.name === name && tensor.mode === mode
    );
  }

  /** Load and show these tensors' `stat` in `mode` and the first one's histograms. */
  private async _show(
    selected: string[],
    mode: string,
    stat: string,
    resetZoom = true
  ): Promise<void> {
    const changed =
      mode !== this._mode ||
      stat !== this._stat ||
      selected.join('\n') !== this._selected.join('\n');
    this._selected = selected;
    this._mode = mode;
    this._stat =
      this.stats.includes(stat) || !this.stats.length ? stat : this.stats[0];
    if (changed && resetZoom) {
      this.zoomOut();
    }
    this._emit();
    const ticket = ++this._ticket;
    const [lines] = await Promise.all([
      Promise.all(selected.map(name => this._loadLine(name))),
      this._heatmap.load(this._info(selected[0] ?? ''), this._zoomRange())
    ]);
    if (this._isDisposed || ticket !== this._ticket) {
      return;
    }
    this._lines = lines;
    this._emit();
  }

  private async _loadLine(tensor: string): Promise<IStatLine> {
    const key = statKey(this._mode, tensor, this._stat);
    try {
      const history = await this._zoomAPI.getMetricHistory(
        key,
        CHART_KEY,
        this._maxPoints
      );
      return statLine(key, tensor, history);
    } catch (error) {
      return statLine(key, tensor, null, message(error));
    }
  }

  /** The steps the statistic chart is zoomed to (its first line's), or null. */
  private _zoomRange(): IStepSpan | null {
    const view = this.zooms.view(CHART_KEY);
    return view ? (Object.values(view.ranges)[0] ?? null) : null;
  }

  /**
   * A zoom (a drag, a finding, a double click) changed the steps shown: the heatmap follows
   * with the histograms of those steps, at its full resolution.
   */
  private _onZoom(): void {
    this._emit();
    const range = this._zoomRange();
    if (!this._heatmap.isOver(range)) {
      const tensor = this._info(this._selected[0] ?? '');
      void this._heatmap.load(tensor, range).then(loaded => {
        if (loaded) {
          this._emit();
        }
      });
    }
  }
  private async _zoomToFocus(): Promise<void> {
    const step = this._focusStep;
    if (step === null || this._lines.length === 0) {
      this._emit();
      return;
    }
    const spans: Record<string, IStepSpan> = {};
    for (const line of this._lines) {
      spans[line.key] = focusRange(step, line.steps);
    }
    await this.zooms.zoom(CHART_KEY, spans, this._maxPoints);
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  private readonly _api: IDebuggerAPI;
  private readonly _zoomAPI: IZoomAPI;
  private readonly _heatmap: TensorHistograms;
  private readonly _maxPoints: number;
  private readonly _live: LiveRefresh;
  private readonly _changed = new Signal<DebuggerModel, void>(this);
  private _resolveReady: () => void = () => undefined;
  /** Resolved once the first load answered: a focus asked before waits for the findings. */
  private readonly _ready = new Promise<void>(resolve => {
    this._resolveReady = resolve;
  });
  private _ticket = 0;
  private _tensors: TensorInfo[] = [];
  private _modes: string[] = [];
  private _mode = 'train';
  private _stat = DEFAULT_STAT;
  private _grouping: TensorGrouping = 'module';
  private _filter = '';
  private _selected: string[] = [];
  private _lines: IStatLine[] = [];
  private _rules: RuleState[] = [];
  private _findings: Finding[] = [];
  private _focusStep: number | null = null;
  private _focusFindingId: number | null = null;
  private _error: string | null = null;
  private _loading = true;
  private _isDisposed = false;
}
