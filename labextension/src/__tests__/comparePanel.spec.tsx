// jsdom lacks DragEvent (touched by @lumino/dragdrop on import) and requestIdleCallback (Lumino).
const jsdomGlobals = globalThis as {
  DragEvent?: unknown;
  requestIdleCallback?: unknown;
};
jsdomGlobals.DragEvent ??= class extends MouseEvent {};
jsdomGlobals.requestIdleCallback ??= (callback: () => void) =>
  setTimeout(callback, 0);

import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { MessageLoop } from '@lumino/messaging';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import { act } from '@testing-library/react';

import type { TrackingAPI } from '../api/tracking';
import { DEFAULT_SETTINGS, IPanelContext, ISettingsHolder } from '../tokens';
import { ComparePanel } from '../widgets/comparePanel';
import { FakeAPI, threeRuns } from './compareFixtures';

function context(api: FakeAPI): IPanelContext {
  const settings = {
    current: DEFAULT_SETTINGS,
    changed: new Signal<ISettingsHolder, typeof DEFAULT_SETTINGS>(
      {} as ISettingsHolder
    )
  };
  return {
    api: api as unknown as TrackingAPI,
    commands: new CommandRegistry(),
    settings,
    translator: nullTranslator
  };
}

/** A panel, attached and drawn, once its first load is done. */
async function shown(
  ctx: IPanelContext,
  runIds: string[]
): Promise<ComparePanel> {
  let panel: ComparePanel | null = null;
  await act(async () => {
    panel = new ComparePanel(ctx, runIds);
    Widget.attach(panel, document.body);
    MessageLoop.sendMessage(panel, Widget.Msg.UpdateRequest);
    await new Promise(resolve => setTimeout(resolve, 20));
  });
  return panel!;
}

describe('ComparePanel', () => {
  it('is named after its runs and shows them', async () => {
    const api = new FakeAPI(threeRuns());
    const ctx = context(api);
    const opened: string[] = [];
    ctx.commands.addCommand('studio:open-run', {
      execute: args => {
        opened.push(String(args.runId));
      }
    });
    const panel = await shown(ctx, ['a', 'b', 'c']);
    expect(panel.id).toBe('studio-compare-a_b_c');
    expect(panel.title.label).toBe('Compare 3 runs');
    expect(panel.node.classList).toContain('jp-MainAreaWidget');
    expect(panel.content.node.classList).toContain('jp-Studio-comparePanel');
    const rows = panel.node.querySelectorAll(
      '[data-testid="studio-compare-param-row"]'
    );
    expect(rows).toHaveLength(4);
    act(() =>
      (
        panel.node.querySelector('.jp-Studio-legend button') as HTMLElement
      ).click()
    );
    expect(opened).toEqual(['a']);
    act(() => panel.dispose());
  });

  it('asks for 2 to 20 runs, and loads nothing otherwise', async () => {
    const api = new FakeAPI(threeRuns());
    const one = await shown(context(api), ['a']);
    expect(
      one.node.querySelector('[data-testid="studio-compare-invalid"]')!
        .textContent
    ).toBe('Choose between 2 and 20 runs to compare (1 chosen).');
    const many = await shown(
      context(api),
      Array.from({ length: 21 }, (_, i) => `r${i}`)
    );
    expect(
      many.node.querySelector('[data-testid="studio-compare-invalid"]')
    ).not.toBeNull();
    expect(api.getRunCalls).toEqual([]);
    act(() => {
      one.dispose();
      many.dispose();
    });
  });
});
