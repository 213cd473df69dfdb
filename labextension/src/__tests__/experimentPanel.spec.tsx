// jsdom lacks requestIdleCallback, which ReactWidget uses.
const jsdomGlobals = globalThis as { requestIdleCallback?: unknown };
jsdomGlobals.requestIdleCallback ??= (callback: () => void) =>
  setTimeout(callback, 0);

import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import {
  act,
  fireEvent,
  screen,
  waitFor,
  within
} from '@testing-library/react';

import type { TrackingAPI } from '../api/tracking';
import { StudioRequestError } from '../handler';
import {
  CommandIDs,
  DEFAULT_SETTINGS,
  IPanelContext,
  ISettingsHolder,
  IStudioSettings
} from '../tokens';
import { ExperimentPanel } from '../widgets/experimentPanel';
import { FakeRunsAPI, makeRuns } from './fakeRuns';

class FakeAPI extends FakeRunsAPI {
  async getExperiment(id: number) {
    return {
      id,
      name: 'iris',
      archived: false,
      created_at: 0,
      updated_at: 0,
      description: '',
      last_run_at: null,
      run_count: this.runs.length,
      tags: {}
    };
  }
}

function open(api: FakeAPI) {
  window.localStorage.clear();
  const commands = new CommandRegistry();
  const compared: string[][] = [];
  // As Studio's command does: the selection of the experiment named in the arguments.
  let panel: ExperimentPanel | null = null;
  const selected = () => panel?.selectedRunIds ?? [];
  commands.addCommand(CommandIDs.compareRuns, {
    isEnabled: args => args.experimentId === 7 && selected().length >= 2,
    execute: args => {
      if (args.experimentId === 7) {
        compared.push(selected());
      }
    }
  });
  const settings = {
    current: { ...DEFAULT_SETTINGS, refreshInterval: 3600 }
  } as {
    current: IStudioSettings;
    changed: Signal<ISettingsHolder, IStudioSettings>;
  };
  settings.changed = new Signal<ISettingsHolder, IStudioSettings>(settings);
  const context: IPanelContext = {
    api: api as unknown as TrackingAPI,
    commands,
    settings,
    translator: nullTranslator
  };
  const opened = new ExperimentPanel(context, 7);
  panel = opened;
  act(() => Widget.attach(opened, document.body));
  return { panel: opened, compared };
}

afterEach(() => {
  document.body.innerHTML = '';
});

describe('ExperimentPanel', () => {
  it('shows the runs, their count and the experiment name', async () => {
    const { panel } = open(new FakeAPI(makeRuns(1234)));
    expect(panel.id).toBe('studio-experiment-7');
    expect(panel.title.closable).toBe(true);
    const count = await screen.findByTestId('studio-runs-count');
    expect(count.dataset.count).toBe('1234');
    expect(count.textContent).toBe('1,234 runs');
    expect(screen.getAllByTestId('studio-run-row').length).toBeGreaterThan(10);
    await waitFor(() => expect(panel.title.label).toBe('iris'));
    act(() => panel.dispose());
  });

  it('compares 2 to 20 selected runs through the command', async () => {
    const { panel, compared } = open(new FakeAPI(makeRuns(50)));
    const selections: string[][] = [];
    panel.selectionChanged.connect((_, ids) => selections.push(ids));
    await screen.findAllByTestId('studio-run-row');
    // JupyterLab's toolbar button around the command, updated as the selection changes.
    const button = () =>
      screen
        .getByTestId('studio-compare-button')
        .querySelector('jp-button') as HTMLElement;
    const boxes = screen.getAllByTestId('studio-run-select');
    fireEvent.click(boxes[0]);
    await waitFor(() => expect(button().textContent).toBe('Compare (1)'));
    expect(button().hasAttribute('disabled')).toBe(true);
    fireEvent.click(boxes[1]);
    await waitFor(() => expect(button().textContent).toBe('Compare (2)'));
    expect(button().hasAttribute('disabled')).toBe(false);
    fireEvent.click(button());
    await waitFor(() => expect(compared).toEqual([['run00049', 'run00048']]));
    expect(panel.selectedRunIds).toEqual(['run00049', 'run00048']);
    expect(selections).toHaveLength(2);
    act(() => panel.dispose());
  });

  it('shows how to log a run when there is none', async () => {
    const { panel } = open(new FakeAPI([]));
    const empty = await screen.findByTestId('studio-empty');
    expect(empty.textContent).toContain('No runs yet: here is how to log one');
    const snippet = /start_run\(experiment="iris"\)/;
    await waitFor(() => expect(within(empty).getByText(snippet)).toBeTruthy());
    act(() => panel.dispose());
  });

  it("shows the server's message when the runs cannot be loaded", async () => {
    const api = new FakeAPI([]);
    api.failWith = new StudioRequestError(503, 'The store is being upgraded.');
    const { panel } = open(api);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The store is being upgraded.');
    act(() => panel.dispose());
  });

  it('filters from the box and shows a refused filter inline', async () => {
    const { panel } = open(new FakeAPI(makeRuns(100)));
    await screen.findAllByTestId('studio-run-row');
    const input = screen.getByTestId('studio-runs-filter');
    fireEvent.change(input, { target: { value: "params.max_depth = '3'" } });
    fireEvent.keyDown(input, { key: 'Enter' });
    await waitFor(() =>
      expect(screen.getByTestId('studio-runs-count').dataset.count).toBe('10')
    );
    fireEvent.change(input, { target: { value: 'metrics.accuracy >' } });
    fireEvent.keyDown(input, { key: 'Enter' });
    const error = await screen.findByTestId('studio-filter-error');
    expect(error.textContent).toContain('Invalid filter');
    expect(screen.getByTestId('studio-runs-count').dataset.count).toBe('10');
    act(() => panel.dispose());
  });
});
