/**
 * State of a run's Debugger tab: the watched tensors, the chosen statistic of the chosen
 * tensors over steps, the first one's histograms, the rules and their findings, and the step a
 * finding points at. Refreshed live while the run is running and the tab is seen.
 */
import type { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import type {
  IDebuggerAPI,
  Finding,
  Histograms,
  RuleState,
  TensorInfo
} from '../api/debugger';
import type { IStepRange } from '../api/tracking';
import { MetricHistory, toNumber } from '../api/types';
import type { ISettingsHolder, IStudioSettings } from '../tokens';
import { pollFrequency } from './pollFrequency';
import type { IMetricSeries } from './runModel';
import { ChartZooms, IStepSpan, IZoomAPI } from './zoom';

/** About how many points of each statistic the server sends (it keeps the extremes). */
export const STAT_MAX_POINTS = 1000;
/** About how many histogram steps the heatmap asks for. */
export const HISTOGRAM_MAX_STEPS = 200;
/** The statistic shown first. */
export const DEFAULT_STAT = 'l2';
/** The zoom around a finding's step: this share of the steps drawn on each side, at least… */
const FOCUS_SHARE = 0.1;
/** …this many steps. */
const FOCUS_MIN_HALF_WIDTH = 5;

export type TensorGrouping = 'module' | 'collection';

/** Tensors under one module or collection name. */
export interface ITensorGroup {
  name: string;
  tensors: TensorInfo[];
}

/** The line of one tensor's statistic: its id (the series key) names it in the zoom. */
export interface IStatLine extends IMetricSeries {
  tensor: string;
}

/** The series key of a statistic, as the server stores it ("train/gradients/fc1.weight/l2"). */
export function statKey(mode: string, tensor: string, stat: string): string {
  return `${mode}/${tensor}/${stat}`;
}

/** (mode, tensor, stat) of a series key: it splits at its first and last '/'. */
export function parseStatKey(key: string): [string, string, string] {
  const first = key.indexOf('/');
  const last = key.lastIndexOf('/');
  return [key.slice(0, first), key.slice(first + 1, last), key.slice(last + 1)];
}

/** The tensors whose name holds `filter` (case-insensitive), grouped and sorted by name. */
export function groupTensors(
  tensors: readonly TensorInfo[],
  grouping: TensorGrouping,
  filter = ''
): ITensorGroup[] {
  const needle = filter.trim().toLowerCase();
  const groups = new Map<string, TensorInfo[]>();
  for (const tensor of tensors) {
    if (needle && !tensor.name.toLowerCase().includes(needle)) {
      continue;
    }
    const name =
      (grouping === 'module' ? tensor.module : tensor.collection) || '—';
    groups.set(name, [...(groups.get(name) ?? []), tensor]);
  }
  return [...groups.keys()].sort().map(name => ({
    name,
    tensors: groups.get(name)!.sort((a, b) => a.name.localeCompare(b.name))
  }));
}

/** The step range a zoom around `step` covers, given the steps drawn. */
export function focusRange(step: number, steps: readonly number[]): IStepSpan {
  const first = steps.length ? Math.min(steps[0], step) : step;
  const last = steps.length ? Math.max(steps[steps.length - 1], step) : step;
  const half = Math.max(
    FOCUS_MIN_HALF_WIDTH,
    Math.round((last - first) * FOCUS_SHARE)
  );
  return { min: Math.max(0, step - half), max: step + half };
}

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
    this._settings = options.settings;
    this._maxPoints = options.maxPoints ?? STAT_MAX_POINTS;
    this._poll = new Poll({
      auto: false,
      factory: () => this.refresh(),
      frequency: pollFrequency(this._settings.current.refreshInterval),
      name: `studio:debugger:${this.runId}`,
      standby: () => !this._active || 'when-hidden'
    });
    this._settings.changed.connect(this._onSettings, this);
    this.zooms = new ChartZooms(this._zoomAPI);
    this.zooms.changed.connect(() => this._emit(), this);
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
    return this._histograms;
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
    return this._live;
  }
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Poll only while the tab is seen; catch up once when it is seen again. */
  setActive(active: boolean): void {
    if (active === this._active) {
      return;
    }
    this._active = active;
    if (active && this._poll.state.phase === 'standby') {
      void this._poll.refresh();
    }
  }

  /** Refresh every interval while the run is running. */
  setLive(live: boolean): void {
    if (live === this._live) {
      return;
    }
    this._live = live;
    if (live) {
      void this._poll.schedule({
        interval: this._poll.frequency.interval,
        phase: 'started'
      });
    } else {
      void this._poll.stop();
    }
    this._emit();
  }

  /** Load everything again (one load at a time; callers during a load share it). */
  refresh(): Promise<void> {
    if (!this._pending) {
      this._pending = this._load().finally(() => {
        this._pending = null;
      });
    }
    return this._pending;
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
    this._poll.dispose();
    this.zooms.dispose();
    this._settings.changed.disconnect(this._onSettings, this);
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
    const [lines, histograms] = await Promise.all([
      Promise.all(selected.map(name => this._loadLine(name))),
      this._loadHistograms(selected[0])
    ]);
    if (this._isDisposed || ticket !== this._ticket) {
      return;
    }
    this._lines = lines;
    this._histograms = histograms;
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
      return {
        key,
        tensor,
        steps: history.steps,
        timestamps: history.timestamps,
        values: history.values.map(toNumber),
        total: history.total,
        downsampled: history.downsampled,
        error: null,
        pending: false
      };
    } catch (error) {
      const empty = { steps: [], timestamps: [], values: [], total: 0 };
      return {
        key,
        tensor,
        ...empty,
        downsampled: false,
        error: message(error),
        pending: false
      };
    }
  }

  private async _loadHistograms(
    tensor: string | undefined
  ): Promise<Histograms | null> {
    const info = tensor === undefined ? undefined : this._info(tensor);
    if (!info?.histogram) {
      return null;
    }
    try {
      return await this._api.getHistograms(this.runId, {
        tensor: info.name,
        mode: info.mode,
        maxSteps: HISTOGRAM_MAX_STEPS
      });
    } catch {
      return null;
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

  private _onSettings(_: ISettingsHolder, settings: IStudioSettings): void {
    this._poll.frequency = pollFrequency(settings.refreshInterval);
  }

  private _emit(): void {
    if (!this._isDisposed) {
      this._changed.emit();
    }
  }

  /** The statistics route as the zoom's history route: a line's id is its series key. */
  private readonly _zoomAPI: IZoomAPI = {
    getMetricHistory: async (
      key: string,
      _chart: string,
      maxPoints?: number,
      steps: IStepRange = {}
    ): Promise<MetricHistory> => {
      const [mode, tensor, stat] = parseStatKey(key);
      const answer = await this._api.getTensorStats(this.runId, {
        tensor,
        stat,
        mode,
        maxPoints,
        minStep: steps.min,
        maxStep: steps.max
      });
      const series = answer.find(
        item => item.tensor === tensor && item.stat === stat
      );
      return {
        key,
        steps: series?.steps ?? [],
        timestamps: series?.timestamps ?? [],
        values: series?.values ?? [],
        total: series?.total ?? 0,
        downsampled: series?.downsampled ?? false,
        next_page_token: null
      };
    }
  };

  private readonly _api: IDebuggerAPI;
  private readonly _settings: ISettingsHolder;
  private readonly _maxPoints: number;
  private readonly _poll: Poll;
  private readonly _changed = new Signal<DebuggerModel, void>(this);
  private _resolveReady: () => void = () => undefined;
  /** Resolved once the first load answered: a focus asked before waits for the findings. */
  private readonly _ready = new Promise<void>(resolve => {
    this._resolveReady = resolve;
  });
  private _pending: Promise<void> | null = null;
  private _ticket = 0;
  private _tensors: TensorInfo[] = [];
  private _modes: string[] = [];
  private _mode = 'train';
  private _stat = DEFAULT_STAT;
  private _grouping: TensorGrouping = 'module';
  private _filter = '';
  private _selected: string[] = [];
  private _lines: IStatLine[] = [];
  private _histograms: Histograms | null = null;
  private _rules: RuleState[] = [];
  private _findings: Finding[] = [];
  private _focusStep: number | null = null;
  private _focusFindingId: number | null = null;
  private _error: string | null = null;
  private _loading = true;
  private _live = false;
  private _active = true;
  private _isDisposed = false;
}

/** The zoom's key of the one statistic chart. */
export const CHART_KEY = 'stat';

/** The statistic a finding's values name ({"nan": 3} shows the NaN count), if the tensor has it. */
function statOfFinding(
  finding: Finding,
  tensor: TensorInfo | undefined
): string | undefined {
  const stats: readonly string[] = tensor?.stats ?? [];
  return Object.keys(finding.values).find(key => stats.includes(key));
}
