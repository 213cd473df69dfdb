/**
 * A jobs API in memory, answering in the routes' JSON shapes, that records its calls; and job
 * runs and definitions as the server sends them.
 */
import type {
  IJobsAPI,
  JobDefinition,
  JobDefinitionIn,
  JobDefinitionPatch,
  JobLog,
  JobRun,
  JobRunIn,
  JobsSummary,
  NotebookInfo,
  SchedulePreview
} from '../api/jobs';
import { StudioRequestError } from '../handler';

export function jobRun(id: number, change: Partial<JobRun> = {}): JobRun {
  return {
    id,
    definition_id: null,
    name: `train-${id}`,
    notebook_path: 'train.ipynb',
    parameters: { lr: 0.1 },
    kernel_name: 'python3',
    run_id: `run${id}`,
    experiment_id: 1,
    trigger: 'manual',
    status: 'SUCCEEDED',
    attempt: 1,
    retry_of: null,
    scheduled_for: null,
    created_at: 1_700_000_000_000,
    started_at: 1_700_000_001_000,
    ended_at: 1_700_000_004_000,
    duration_ms: 3000,
    progress: {
      cells_done: 4,
      cells_total: 4,
      current_cell: null,
      cell_started_at: null
    },
    error: null,
    error_name: null,
    error_cell: null,
    traceback: null,
    outputs: ['output.ipynb', 'job.log'],
    cancel_requested: false,
    timeout: null,
    retries: 0,
    html: false,
    host: 'box',
    ...change
  } as JobRun;
}

export function definition(
  id: number,
  change: Partial<JobDefinition> = {}
): JobDefinition {
  return {
    id,
    name: `nightly-${id}`,
    notebook_path: 'train.ipynb',
    parameters: { lr: 0.01 },
    kernel_name: null,
    schedule: '0 3 * * 1-5',
    schedule_description: 'At 03:00, Monday through Friday',
    timezone: 'Europe/Paris',
    next_run_at: 1_700_100_000_000,
    timeout: 600,
    retries: 2,
    retry_backoff: 60,
    max_concurrent_runs: 1,
    environment: { MODE: 'fast' },
    secret_environment: { TOKEN: 'SERVER_TOKEN' },
    html: true,
    experiment: 'nightly',
    missed: 'run_once',
    keep_outputs: 50,
    active: true,
    created_at: 1_700_000_000_000,
    updated_at: 1_700_000_000_000,
    snapshot_at: 1_700_000_000_000,
    last_status: 'SUCCEEDED',
    ...change
  } as JobDefinition;
}

export class FakeJobsAPI implements IJobsAPI {
  runs: JobRun[] = [];
  definitions: JobDefinition[] = [];
  summary: JobsSummary = { running: [], queued: 0, next: [], schedulers: [] };
  /** The log of each run, as one text the fake slices by offset; and whether it ended. */
  logs = new Map<number, { text: string; done: boolean }>();
  notebook: NotebookInfo = {
    path: 'train.ipynb',
    parameters: [
      { name: 'lr', default: '0.1', value: 0.1, type: 'float', help: '' },
      { name: 'label', default: "'cat'", value: 'cat', type: 'str', help: '' }
    ],
    kernel_name: 'python3',
    kernels: [{ name: 'python3', display_name: 'Python 3' }]
  } as NotebookInfo;
  calls: string[] = [];

  async listRuns() {
    this.calls.push('listRuns');
    return { runs: this.runs, next_page_token: null, total: this.runs.length };
  }
  async getRun(id: number) {
    this.calls.push(`getRun ${id}`);
    const run = this.runs.find(run => run.id === id);
    if (!run) {
      throw new StudioRequestError(404, `No job run ${id}.`);
    }
    return run;
  }
  async createRun(body: JobRunIn) {
    this.calls.push(`createRun ${JSON.stringify(body)}`);
    return jobRun(100, { status: 'QUEUED' });
  }
  async cancelRun(id: number) {
    this.calls.push(`cancelRun ${id}`);
    return this.getRun(id);
  }
  async rerun(id: number, parameters: Record<string, unknown>) {
    this.calls.push(`rerun ${id} ${JSON.stringify(parameters)}`);
    return jobRun(101, { status: 'QUEUED' });
  }
  async deleteRun(id: number) {
    this.calls.push(`deleteRun ${id}`);
  }
  async getLog(id: number, offset: number): Promise<JobLog> {
    this.calls.push(`getLog ${id} ${offset}`);
    const log = this.logs.get(id) ?? { text: '', done: true };
    return {
      text: log.text.slice(offset),
      offset: log.text.length,
      done: log.done
    };
  }
  async openOutput(id: number) {
    this.calls.push(`openOutput ${id}`);
    return `job-outputs/train/${id}/train.ipynb`;
  }
  outputUrl(id: number, name: string) {
    return `/studio/api/jobs/runs/${id}/outputs/${name}`;
  }
  async listDefinitions() {
    this.calls.push('listDefinitions');
    return {
      definitions: this.definitions,
      next_page_token: null,
      total: this.definitions.length
    };
  }
  async getDefinition(id: number) {
    return this.definitions.find(d => d.id === id) ?? definition(id);
  }
  async createDefinition(body: JobDefinitionIn) {
    this.calls.push(`createDefinition ${JSON.stringify(body)}`);
    return definition(7);
  }
  async updateDefinition(id: number, patch: JobDefinitionPatch) {
    this.calls.push(`updateDefinition ${id} ${JSON.stringify(patch)}`);
    return definition(id);
  }
  async deleteDefinition(id: number) {
    this.calls.push(`deleteDefinition ${id}`);
  }
  async pauseDefinition(id: number) {
    return definition(id, { active: false });
  }
  async resumeDefinition(id: number) {
    return definition(id);
  }
  async runDefinition(id: number, parameters: Record<string, unknown>) {
    this.calls.push(`runDefinition ${id} ${JSON.stringify(parameters)}`);
    return jobRun(102, { status: 'QUEUED', definition_id: id });
  }
  async inspectNotebook(path: string) {
    this.calls.push(`inspectNotebook ${path}`);
    return this.notebook;
  }
  async previewSchedule(
    cron: string,
    timezone: string
  ): Promise<SchedulePreview> {
    this.calls.push(`previewSchedule ${cron} ${timezone}`);
    if (cron.split(' ').length !== 5) {
      throw new StudioRequestError(
        400,
        `Invalid cron expression "${cron}": 5 fields expected.`
      );
    }
    return {
      cron,
      timezone,
      description: `words for ${cron}`,
      next: [1, 2, 3, 4, 5].map(i => 1_700_000_000_000 + i * 86_400_000)
    } as SchedulePreview;
  }
  async getSummary() {
    this.calls.push('getSummary');
    return this.summary;
  }
}
