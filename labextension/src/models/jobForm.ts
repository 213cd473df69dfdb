/**
 * The "Create notebook job" form: what the user typed, as plain data, and the pure functions
 * that turn it into the bodies the server takes (a manual run, a definition, an edit's patch),
 * a definition back into a form, a schedule preset into cron and back, parameter text into
 * values. `JobFormModel` (jobFormModel.ts) holds one while the dialog is open.
 */
import type {
  JobDefinition,
  JobDefinitionIn,
  JobDefinitionPatch,
  JobRunIn
} from '../api/jobs';

export type ScheduleMode = 'now' | 'schedule';
export type SchedulePreset =
  'hourly' | 'daily' | 'weekdays' | 'weekly' | 'custom';
export const SCHEDULE_PRESETS: readonly SchedulePreset[] = [
  'hourly',
  'daily',
  'weekdays',
  'weekly',
  'custom'
];

/** A parameter row: its notebook default (source text) and the text the user typed. */
export interface IParameterRow {
  name: string;
  defaultText: string;
  text: string;
  /** Sent even when equal to the default (a definition's or a run's own value). */
  given: boolean;
}

/** An environment variable; a secret one's value names a variable of the server's environment. */
export interface IEnvironmentRow {
  name: string;
  value: string;
  secret: boolean;
}

export interface IJobForm {
  name: string;
  notebookPath: string;
  parameters: IParameterRow[];
  /** '' runs the notebook's own kernel. */
  kernelName: string;
  mode: ScheduleMode;
  preset: SchedulePreset;
  /** "HH:MM" for daily, weekdays and weekly; the minute of the hour for hourly. */
  time: string;
  /** 0 (Sunday) to 6, cron's numbering. */
  weekday: number;
  /** The custom cron expression. */
  cron: string;
  timezone: string;
  /** Minutes; '' for no limit. */
  timeoutMinutes: string;
  retries: number;
  environment: IEnvironmentRow[];
  experiment: string;
  html: boolean;
}

/** The server's defaults (studio/jobs/schemas.py) for what the form does not ask. */
export const DEFAULT_RETRY_BACKOFF_S = 60;
export const DEFAULT_KEEP_OUTPUTS = 50;

/** The browser's time zone, the default of a new schedule. */
export function browserTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** A notebook's file name without its folder and extension: a new job's default name. */
export function notebookStem(path: string): string {
  const file = path.split('/').pop() ?? path;
  return file.replace(/\.ipynb$/i, '');
}

export function emptyForm(notebookPath: string): IJobForm {
  return {
    name: notebookStem(notebookPath),
    notebookPath,
    parameters: [],
    kernelName: '',
    mode: 'now',
    preset: 'daily',
    time: '09:00',
    weekday: 1,
    cron: '0 9 * * *',
    timezone: browserTimezone(),
    timeoutMinutes: '',
    retries: 0,
    environment: [],
    experiment: '',
    html: false
  };
}

/** A parameter's value as text in the form: a string as is unless it reads as another value. */
export function parameterText(value: unknown): string {
  return typeof value === 'string' && parseParameter(value) === value
    ? value
    : JSON.stringify(value);
}

/**
 * The value a parameter's text stands for: JSON when it parses (numbers, lists, quoted
 * strings), Python's True/False/None and quoted literals, else the text as a string.
 */
export function parseParameter(text: string): unknown {
  const trimmed = text.trim();
  try {
    return JSON.parse(trimmed);
  } catch {
    // Not JSON: a Python literal or a plain string.
  }
  const python: Record<string, unknown> = {
    True: true,
    False: false,
    None: null
  };
  if (trimmed in python) {
    return python[trimmed];
  }
  const quoted = /^'(.*)'$/s.exec(trimmed);
  return quoted ? quoted[1] : text;
}

/** The parameters to send: those changed from the notebook's defaults, and those given. */
export function parameterValues(form: IJobForm): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const row of form.parameters) {
    if (row.given || row.text.trim() !== row.defaultText.trim()) {
      values[row.name] = parseParameter(row.text);
    }
  }
  return values;
}

function hourMinute(time: string): [number, number] {
  const match = /^(\d{1,2}):(\d{2})$/.exec(time.trim());
  if (!match) {
    return [0, 0];
  }
  return [Math.min(Number(match[1]), 23), Math.min(Number(match[2]), 59)];
}

/** The cron expression the form's schedule stands for. */
export function cronOf(form: IJobForm): string {
  const [hour, minute] = hourMinute(form.time);
  switch (form.preset) {
    case 'hourly':
      return `${minute} * * * *`;
    case 'daily':
      return `${minute} ${hour} * * *`;
    case 'weekdays':
      return `${minute} ${hour} * * 1-5`;
    case 'weekly':
      return `${minute} ${hour} * * ${form.weekday}`;
    default:
      return form.cron.trim();
  }
}

/** The preset (with its time and weekday) a cron expression matches, else custom. */
export function presetOf(
  cron: string
): Pick<IJobForm, 'preset' | 'time' | 'weekday' | 'cron'> {
  const fields = cron.trim().split(/\s+/);
  const custom = { preset: 'custom' as const, time: '09:00', weekday: 1, cron };
  if (fields.length !== 5 || !/^\d+$/.test(fields[0])) {
    return custom;
  }
  const [minute, hour, day, month, weekday] = fields;
  const pad = (value: string) => value.padStart(2, '0');
  if (hour === '*' && day === '*' && month === '*' && weekday === '*') {
    return { ...custom, preset: 'hourly', time: `00:${pad(minute)}` };
  }
  if (!/^\d+$/.test(hour) || day !== '*' || month !== '*') {
    return custom;
  }
  const time = `${pad(hour)}:${pad(minute)}`;
  if (weekday === '*') {
    return { ...custom, preset: 'daily', time };
  }
  if (weekday === '1-5') {
    return { ...custom, preset: 'weekdays', time };
  }
  if (/^[0-6]$/.test(weekday)) {
    return { ...custom, preset: 'weekly', time, weekday: Number(weekday) };
  }
  return custom;
}

function environmentOf(form: IJobForm): {
  environment: Record<string, string>;
  secret_environment: Record<string, string>;
} {
  const environment: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const row of form.environment) {
    const name = row.name.trim();
    if (name && row.secret && row.value.trim()) {
      secrets[name] = row.value.trim();
    } else if (name && !row.secret) {
      environment[name] = row.value;
    }
  }
  return { environment, secret_environment: secrets };
}

function timeoutSeconds(form: IJobForm): number | null {
  const minutes = Number(form.timeoutMinutes);
  return form.timeoutMinutes.trim() === '' || !(minutes > 0)
    ? null
    : Math.round(minutes * 60);
}

/** What the form asks of the server: "Run now" (a manual job run). */
export function runBody(form: IJobForm): JobRunIn {
  return {
    notebook_path: form.notebookPath,
    name: form.name.trim() || notebookStem(form.notebookPath),
    parameters: parameterValues(form),
    kernel_name: form.kernelName || null,
    timeout: timeoutSeconds(form),
    retries: form.retries,
    retry_backoff: DEFAULT_RETRY_BACKOFF_S,
    ...environmentOf(form),
    html: form.html,
    experiment: form.experiment.trim() || null,
    trigger: 'manual'
  };
}

/** What the form asks of the server: a definition (scheduled, or saved to run later). */
export function definitionBody(form: IJobForm): JobDefinitionIn {
  return {
    name: form.name.trim() || notebookStem(form.notebookPath),
    notebook_path: form.notebookPath,
    parameters: parameterValues(form),
    kernel_name: form.kernelName || null,
    schedule: form.mode === 'schedule' ? cronOf(form) : null,
    timezone: form.timezone.trim() || 'UTC',
    timeout: timeoutSeconds(form),
    retries: form.retries,
    retry_backoff: DEFAULT_RETRY_BACKOFF_S,
    max_concurrent_runs: 1,
    ...environmentOf(form),
    html: form.html,
    experiment: form.experiment.trim() || null,
    missed: 'run_once',
    keep_outputs: DEFAULT_KEEP_OUTPUTS,
    active: true
  };
}

/** A definition as the form shows it, for "Edit". */
export function formOfDefinition(definition: JobDefinition): IJobForm {
  const base = emptyForm(definition.notebook_path);
  return {
    ...base,
    name: definition.name,
    parameters: Object.entries(definition.parameters).map(([name, value]) => ({
      name,
      defaultText: parameterText(value),
      text: parameterText(value),
      given: true
    })),
    kernelName: definition.kernel_name ?? '',
    mode: definition.schedule ? 'schedule' : 'now',
    ...(definition.schedule ? presetOf(definition.schedule) : {}),
    timezone: definition.timezone,
    timeoutMinutes:
      definition.timeout === null ? '' : String(definition.timeout / 60),
    retries: definition.retries,
    environment: [
      ...Object.entries(definition.environment).map(([name, value]) => ({
        name,
        value,
        secret: false
      })),
      ...Object.entries(definition.secret_environment).map(
        ([name, serverName]) => ({ name, value: serverName, secret: true })
      )
    ],
    experiment: definition.experiment ?? '',
    html: definition.html
  };
}

/**
 * What "Edit" changes: what the form shows; null keeps the rest (concurrency, missed
 * occurrences, outputs kept, active: the panel's own actions change those).
 */
export function definitionPatch(form: IJobForm): JobDefinitionPatch {
  const body = definitionBody(form);
  return {
    name: body.name,
    parameters: body.parameters ?? {},
    kernel_name: body.kernel_name,
    schedule: body.schedule ?? null,
    timezone: body.timezone,
    timeout: body.timeout,
    retries: body.retries,
    retry_backoff: null,
    max_concurrent_runs: null,
    environment: body.environment ?? {},
    secret_environment: body.secret_environment ?? {},
    html: body.html,
    experiment: body.experiment,
    missed: null,
    keep_outputs: null,
    active: null
  };
}
