import { nullTranslator } from '@jupyterlab/translation';
import { fireEvent, render, screen, within } from '@testing-library/react';
import * as React from 'react';

import { DefinitionsTab } from '../components/jobs/DefinitionsTab';
import { JobForm, IJobFormProps } from '../components/jobs/JobForm';
import { JobsSection } from '../components/jobs/JobsSection';
import { formatTime } from '../components/jobs/JobStatus';
import { RunsTab } from '../components/jobs/RunsTab';
import { emptyForm } from '../models/jobForm';
import { definition, jobRun } from './jobsFixtures';

const trans = nullTranslator.load('jupyter-studio');
const NOW = 1_700_000_010_000;

describe('RunsTab', () => {
  const running = jobRun(2, {
    status: 'RUNNING',
    ended_at: null,
    duration_ms: null,
    started_at: NOW - 8_000,
    outputs: [],
    progress: {
      cells_done: 2,
      cells_total: 6,
      current_cell: 2,
      cell_started_at: NOW - 4_000
    }
  });
  const failed = jobRun(1, {
    status: 'FAILED',
    parameters: { lr: 0.5, label: 'heavy' },
    error: 'ZeroDivisionError: division by zero',
    error_cell: 3,
    traceback:
      'Traceback (most recent call last):\n  Cell In[4], line 1\n    1 / 0\nZeroDivisionError: division by zero'
  });

  function renderTab(selectedRunId: number | null = null) {
    const actions: string[] = [];
    const selected: number[] = [];
    render(
      <RunsTab
        runs={[running, failed]}
        total={2}
        selectedRunId={selectedRunId}
        now={NOW}
        trans={trans}
        onSelect={id => selected.push(id)}
        onAction={(action, run) => actions.push(`${action} ${run.id}`)}
      />
    );
    return { actions, selected };
  }

  it('shows a running run’s progress: cells done of the total, the current cell’s time', () => {
    renderTab();
    const row = screen.getAllByTestId('studio-job-run')[0];
    expect(row.dataset.status).toBe('RUNNING');
    expect(
      within(row).getByRole('progressbar').getAttribute('aria-valuenow')
    ).toBe('2');
    expect(
      within(row).getByTestId('studio-job-progress-text').textContent
    ).toBe('2/6 cells · cell 3 · 4 s');
    expect(within(row).getByText('8 s')).toBeTruthy();
    // Nothing to open yet; it can be cancelled, not re-run.
    expect(
      (within(row).getByTestId('studio-job-open-output') as HTMLButtonElement)
        .disabled
    ).toBe(true);
    expect(within(row).queryByTestId('studio-job-rerun')).toBeNull();
  });

  it('says the kernel is starting before the cells are counted', () => {
    render(
      <RunsTab
        runs={[
          {
            ...running,
            progress: {
              cells_done: 0,
              cells_total: 0,
              current_cell: null,
              cell_started_at: null
            }
          }
        ]}
        total={1}
        selectedRunId={null}
        now={NOW}
        trans={trans}
        onSelect={() => undefined}
        onAction={() => undefined}
      />
    );
    expect(screen.getByTestId('studio-job-progress-text').textContent).toBe(
      'starting the kernel…'
    );
  });

  it('sends each row action, and selects a row on click', () => {
    const { actions, selected } = renderTab();
    const [first, second] = screen.getAllByTestId('studio-job-run');
    fireEvent.click(within(first).getByTestId('studio-job-cancel'));
    fireEvent.click(within(second).getByTestId('studio-job-rerun'));
    fireEvent.click(within(second).getByTestId('studio-job-open-output'));
    fireEvent.click(within(second).getByTestId('studio-job-open-log'));
    fireEvent.click(within(second).getByTestId('studio-job-tracked-run'));
    expect(actions).toEqual([
      'cancel 2',
      'rerun 1',
      'output 1',
      'log 1',
      'trackedRun 1'
    ]);
    expect(selected).toEqual([]);
    fireEvent.click(second);
    expect(selected).toEqual([1]);
    expect(within(second).getByTestId('studio-job-params').textContent).toBe(
      'lr=0.5, label="heavy"'
    );
  });

  it('shows where a selected failed run failed, with its traceback as sent', () => {
    renderTab(1);
    const details = screen.getByTestId('studio-job-details');
    expect(
      within(details).getByText(
        'Cell 4 failed: ZeroDivisionError: division by zero'
      )
    ).toBeTruthy();
    expect(screen.getByTestId('studio-job-traceback').textContent).toBe(
      failed.traceback
    );
  });

  it('says how to create a job when there is none', () => {
    render(
      <RunsTab
        runs={[]}
        total={0}
        selectedRunId={null}
        now={NOW}
        trans={trans}
        onSelect={() => undefined}
        onAction={() => undefined}
      />
    );
    expect(screen.getByTestId('studio-job-runs-empty').textContent).toContain(
      'Create Notebook Job'
    );
  });
});

describe('DefinitionsTab', () => {
  it('shows each schedule in words with its time zone, the next run, and pause or resume', () => {
    const actions: string[] = [];
    render(
      <DefinitionsTab
        definitions={[
          definition(1),
          definition(2, {
            active: false,
            schedule: null,
            schedule_description: null
          })
        ]}
        selectedDefinitionId={null}
        trans={trans}
        onSelect={() => undefined}
        onAction={(action, d) => actions.push(`${action} ${d.id}`)}
      />
    );
    const [scheduled, paused] = screen.getAllByTestId('studio-job-definition');
    expect(
      within(scheduled).getByTestId('studio-job-schedule').textContent
    ).toBe('At 03:00, Monday through Friday (Europe/Paris)');
    expect(
      within(scheduled).getByTestId('studio-job-next-run').textContent
    ).toBe(formatTime(1_700_100_000_000, 'Europe/Paris'));
    expect(formatTime(1_700_100_000_000, 'Europe/Paris')).toContain(
      'Europe/Paris'
    );
    expect(within(paused).getByTestId('studio-job-schedule').textContent).toBe(
      'On demand'
    );
    expect(within(paused).getByTestId('studio-job-next-run').textContent).toBe(
      '—'
    );
    fireEvent.click(within(scheduled).getByTestId('studio-job-pause'));
    fireEvent.click(within(paused).getByTestId('studio-job-resume'));
    fireEvent.click(within(scheduled).getByTestId('studio-job-run-now'));
    fireEvent.click(within(scheduled).getByTestId('studio-job-edit'));
    fireEvent.click(within(paused).getByTestId('studio-job-delete'));
    expect(actions).toEqual([
      'pause 1',
      'resume 2',
      'run 1',
      'edit 1',
      'delete 2'
    ]);
  });
});

describe('JobForm', () => {
  function props(change: Partial<IJobFormProps> = {}): IJobFormProps {
    return {
      form: {
        ...emptyForm('train.ipynb'),
        parameters: [
          { name: 'lr', defaultText: '0.1', text: '0.1', given: false }
        ]
      },
      kernels: [{ name: 'python3', display_name: 'Python 3' }],
      notebookKernel: 'python3',
      notebookLoaded: true,
      notebookError: null,
      preview: null,
      previewError: null,
      editing: false,
      trans,
      onChange: jest.fn(),
      onParameter: jest.fn(),
      ...change
    };
  }

  it('lists the parameters with their defaults, editable', () => {
    const given = props();
    render(<JobForm {...given} />);
    const field = screen.getByTestId(
      'studio-job-parameter'
    ) as HTMLInputElement;
    expect(field.value).toBe('0.1');
    expect(screen.getByText('default 0.1')).toBeTruthy();
    fireEvent.change(field, { target: { value: '0.5' } });
    expect(given.onParameter).toHaveBeenCalledWith('lr', '0.5');
    expect(screen.queryByTestId('studio-job-preset')).toBeNull();
    fireEvent.click(screen.getByTestId('studio-job-mode-schedule'));
    expect(given.onChange).toHaveBeenCalledWith({ mode: 'schedule' });
  });

  it('shows the schedule in words and its next five times', () => {
    const next = [1, 2, 3, 4, 5].map(i => NOW + i * 86_400_000);
    render(
      <JobForm
        {...props({
          form: {
            ...emptyForm('train.ipynb'),
            mode: 'schedule',
            preset: 'weekdays'
          },
          preview: {
            cron: '0 9 * * 1-5',
            timezone: 'UTC',
            description: 'At 09:00, Monday through Friday',
            next
          }
        })}
      />
    );
    expect(screen.getByTestId('studio-job-schedule-words').textContent).toBe(
      'At 09:00, Monday through Friday · 0 9 * * 1-5'
    );
    expect(
      screen.getAllByTestId('studio-job-next-time').map(li => li.textContent)
    ).toEqual(next.map(time => formatTime(time, 'UTC')));
    expect(
      (screen.getByTestId('studio-job-time') as HTMLInputElement).value
    ).toBe('09:00');
  });

  it('shows the server’s message for an invalid schedule, inline', () => {
    render(
      <JobForm
        {...props({
          form: {
            ...emptyForm('train.ipynb'),
            mode: 'schedule',
            preset: 'custom',
            cron: '61 * * * *'
          },
          previewError:
            "The schedule '61 * * * *' is not a valid cron expression."
        })}
      />
    );
    expect(screen.getByTestId('studio-job-schedule-error').textContent).toBe(
      "The schedule '61 * * * *' is not a valid cron expression."
    );
    expect(screen.queryByTestId('studio-job-schedule-words')).toBeNull();
  });
});

describe('JobsSection', () => {
  it('lists the jobs running now with their progress and the ones that run next', () => {
    const opened: unknown[] = [];
    const running = jobRun(4, {
      status: 'RUNNING',
      progress: {
        cells_done: 1,
        cells_total: 3,
        current_cell: 1,
        cell_started_at: NOW - 2_000
      }
    });
    render(
      <JobsSection
        summary={{
          running: [running],
          queued: 0,
          next: [
            {
              definition_id: 7,
              name: 'nightly',
              next_run_at: NOW + 60_000,
              schedule_description: 'Every minute',
              timezone: 'Asia/Tokyo'
            }
          ],
          schedulers: []
        }}
        error={null}
        now={NOW}
        trans={trans}
        onOpenJobs={target => opened.push(target)}
      />
    );
    const item = screen.getByTestId('studio-running-job');
    expect(
      within(item).getByTestId('studio-job-progress-text').textContent
    ).toBe('1/3 cells · cell 2 · 2 s');
    // The next run reads in the schedule's own time zone, as the Definitions tab says it.
    expect(screen.getByTestId('studio-next-job').textContent).toContain(
      '(Asia/Tokyo)'
    );
    fireEvent.click(item);
    fireEvent.click(screen.getByTestId('studio-next-job'));
    fireEvent.click(screen.getByText('Jobs'));
    expect(opened).toEqual([{ jobRunId: 4 }, { definitionId: 7 }, {}]);
  });

  it('says when nothing runs, and how many wait', () => {
    render(
      <JobsSection
        summary={{ running: [], queued: 2, next: [], schedulers: [] }}
        error={null}
        now={NOW}
        trans={trans}
        onOpenJobs={() => undefined}
      />
    );
    expect(screen.getByText('2 job runs queued.')).toBeTruthy();
  });
});
