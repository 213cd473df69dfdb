import {
  IJobForm,
  cronOf,
  definitionBody,
  definitionPatch,
  emptyForm,
  formOfDefinition,
  parameterText,
  parameterValues,
  parseParameter,
  presetOf,
  runBody
} from '../models/jobForm';
import { JobFormModel } from '../models/jobFormModel';
import { FakeJobsAPI, definition } from './jobsFixtures';

function form(change: Partial<IJobForm> = {}): IJobForm {
  return { ...emptyForm('folder/train.ipynb'), timezone: 'UTC', ...change };
}

describe('schedule presets', () => {
  it('turn into cron expressions', () => {
    expect(cronOf(form({ preset: 'hourly', time: '00:15' }))).toBe(
      '15 * * * *'
    );
    expect(cronOf(form({ preset: 'daily', time: '03:30' }))).toBe('30 3 * * *');
    expect(cronOf(form({ preset: 'weekdays', time: '07:05' }))).toBe(
      '5 7 * * 1-5'
    );
    expect(cronOf(form({ preset: 'weekly', time: '22:00', weekday: 0 }))).toBe(
      '0 22 * * 0'
    );
    expect(cronOf(form({ preset: 'custom', cron: ' */5 * * * * ' }))).toBe(
      '*/5 * * * *'
    );
  });

  it('are found again in the cron expressions they make (editing)', () => {
    for (const change of [
      { preset: 'hourly', time: '00:15' },
      { preset: 'daily', time: '03:30' },
      { preset: 'weekdays', time: '07:05' },
      { preset: 'weekly', time: '22:00', weekday: 6 }
    ] as Partial<IJobForm>[]) {
      const cron = cronOf(form(change));
      expect(presetOf(cron)).toMatchObject(change);
    }
    expect(presetOf('*/5 9-17 * * 1-5')).toMatchObject({
      preset: 'custom',
      cron: '*/5 9-17 * * 1-5'
    });
    expect(presetOf('0 3 1 * *').preset).toBe('custom');
  });
});

describe('parameters', () => {
  it('read JSON, Python literals, else plain strings', () => {
    expect(parseParameter('0.5')).toBe(0.5);
    expect(parseParameter('[1, "a"]')).toEqual([1, 'a']);
    expect(parseParameter('"x"')).toBe('x');
    expect(parseParameter("'cat'")).toBe('cat');
    expect(parseParameter('True')).toBe(true);
    expect(parseParameter('None')).toBeNull();
    expect(parseParameter('resnet50')).toBe('resnet50');
  });

  it('show a given value as text that reads back as the same value', () => {
    for (const value of ['cat', '0.5', 'True', 3, [1, 'a'], null, { k: 1 }]) {
      expect(parseParameter(parameterText(value))).toEqual(value);
    }
  });

  it('are sent when changed from the default or given', () => {
    const values = parameterValues(
      form({
        parameters: [
          { name: 'lr', defaultText: '0.1', text: '0.1', given: false },
          { name: 'epochs', defaultText: '3', text: '5', given: false },
          { name: 'label', defaultText: "'cat'", text: "'cat'", given: true }
        ]
      })
    );
    expect(values).toEqual({ epochs: 5, label: 'cat' });
  });
});

describe('request bodies', () => {
  const filled = form({
    name: ' nightly ',
    mode: 'schedule',
    preset: 'weekdays',
    time: '03:00',
    timezone: 'Europe/Paris',
    timeoutMinutes: '1.5',
    retries: 2,
    environment: [
      { name: 'MODE', value: 'fast', secret: false },
      { name: 'TOKEN', value: 'SERVER_TOKEN', secret: true },
      { name: '', value: 'ignored', secret: false }
    ],
    experiment: 'exp',
    html: true
  });

  it('make a definition with its schedule, plain and secret variables', () => {
    expect(definitionBody(filled)).toMatchObject({
      name: 'nightly',
      notebook_path: 'folder/train.ipynb',
      schedule: '0 3 * * 1-5',
      timezone: 'Europe/Paris',
      timeout: 90,
      retries: 2,
      environment: { MODE: 'fast' },
      secret_environment: { TOKEN: 'SERVER_TOKEN' },
      html: true,
      experiment: 'exp',
      active: true
    });
  });

  it('make a manual run without a schedule', () => {
    const body = runBody({ ...filled, mode: 'now', timeoutMinutes: '' });
    expect(body).toMatchObject({ trigger: 'manual', timeout: null });
    expect(body).not.toHaveProperty('schedule');
  });

  it('round-trip a definition through the form (edit)', () => {
    const original = definition(3);
    const edited = formOfDefinition(original);
    expect(edited).toMatchObject({
      mode: 'schedule',
      preset: 'weekdays',
      time: '03:00',
      timezone: 'Europe/Paris',
      timeoutMinutes: '10'
    });
    const patch = definitionPatch(edited);
    expect(patch).toMatchObject({
      name: original.name,
      parameters: { lr: 0.01 },
      schedule: '0 3 * * 1-5',
      timeout: 600,
      retries: 2,
      environment: { MODE: 'fast' },
      secret_environment: { TOKEN: 'SERVER_TOKEN' },
      // What the form does not show stays as it is.
      active: null,
      keep_outputs: null
    });
    expect(patch).not.toHaveProperty('notebook_path');
    expect(definitionPatch({ ...edited, mode: 'now' }).schedule).toBeNull();
  });
});

describe('JobFormModel', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('reads the notebook’s parameters and defaults, keeping given values', async () => {
    const api = new FakeJobsAPI();
    const model = new JobFormModel({
      api,
      form: form({
        parameters: [
          { name: 'lr', defaultText: '0.5', text: '0.5', given: true }
        ]
      })
    });
    await model.loadNotebook();
    expect(model.form.parameters).toEqual([
      { name: 'lr', defaultText: '0.1', text: '0.5', given: true },
      { name: 'label', defaultText: "'cat'", text: "'cat'", given: false }
    ]);
    expect(model.kernels.map(k => k.name)).toEqual(['python3']);
    expect(model.notebookKernel).toBe('python3');
    model.setParameter('label', 'dog');
    expect(parameterValues(model.form)).toEqual({ lr: 0.5, label: 'dog' });
    model.dispose();
  });

  it('asks for the schedule’s preview once typing pauses', async () => {
    const api = new FakeJobsAPI();
    const model = new JobFormModel({ api, form: form(), previewDelayMs: 400 });
    model.update({ mode: 'schedule', preset: 'custom', cron: '*/5' });
    model.update({ cron: '*/5 *' });
    model.update({ cron: '*/5 * * * *' });
    expect(api.calls.filter(c => c.startsWith('preview'))).toEqual([]);
    jest.advanceTimersByTime(400);
    await Promise.resolve();
    await Promise.resolve();
    expect(api.calls).toEqual(['previewSchedule */5 * * * * UTC']);
    expect(model.preview?.description).toBe('words for */5 * * * *');
    expect(model.preview?.next).toHaveLength(5);
    expect(model.problem()).toBeNull();
    model.dispose();
  });

  it('shows the server’s message for an invalid schedule and will not send it', async () => {
    const api = new FakeJobsAPI();
    const model = new JobFormModel({ api, form: form() });
    model.update({ mode: 'schedule', preset: 'custom', cron: 'every day' });
    await model.loadPreview();
    expect(model.preview).toBeNull();
    expect(model.previewError).toBe(
      'Invalid cron expression "every day": 5 fields expected.'
    );
    expect(model.problem()).toBe(model.previewError);
    model.update({ mode: 'now' });
    expect(model.problem()).toBeNull();
    model.dispose();
  });

  it('keeps the answer to the last question only', async () => {
    const api = new FakeJobsAPI();
    const slow = api.previewSchedule.bind(api);
    let release: () => void = () => undefined;
    api.previewSchedule = async (cron, timezone) => {
      if (cron.startsWith('1 ')) {
        await new Promise<void>(resolve => (release = resolve));
      }
      return slow(cron, timezone);
    };
    const model = new JobFormModel({ api, form: form() });
    model.update({ mode: 'schedule', preset: 'custom', cron: '1 * * * *' });
    const first = model.loadPreview();
    model.update({ cron: '2 * * * *' });
    await model.loadPreview();
    release();
    await first;
    expect(model.preview?.cron).toBe('2 * * * *');
    model.dispose();
  });
});
