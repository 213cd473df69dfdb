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
import { Widget } from '@lumino/widgets';
import { act } from '@testing-library/react';

import type { TrackingAPI } from '../api/tracking';
import { IPanelContext } from '../tokens';
import { RunPanel } from '../widgets/runPanel';
import { makeRun, RunPanelAPI } from './compareFixtures';
import { FakeDebuggerAPI, settingsHolder } from './debuggerFixtures';

function context(withDebugger: boolean): {
  ctx: IPanelContext;
  debuggerApi: FakeDebuggerAPI;
} {
  const debuggerApi = new FakeDebuggerAPI();
  const api = new RunPanelAPI([
    makeRun('r1', {}, { loss: [1, 0.5] }, 'RUNNING')
  ]);
  return {
    debuggerApi,
    ctx: {
      api: api as unknown as TrackingAPI,
      commands: new CommandRegistry(),
      settings: settingsHolder({ refreshInterval: 1 }),
      translator: nullTranslator,
      debugger: withDebugger ? debuggerApi : undefined
    }
  };
}

async function settle(ms = 20): Promise<void> {
  await act(async () => {
    await new Promise(resolve => setTimeout(resolve, ms));
  });
}

async function shown(ctx: IPanelContext): Promise<RunPanel> {
  const panel = new RunPanel(ctx, 'r1');
  await act(async () => {
    Widget.attach(panel, document.body);
    MessageLoop.sendMessage(panel.content, Widget.Msg.UpdateRequest);
  });
  await settle();
  return panel;
}

function tab(panel: RunPanel, name: string): HTMLElement | null {
  return panel.node.querySelector(`[data-testid="studio-run-tab-${name}"]`);
}

describe('RunPanel’s Debugger tab', () => {
  it('loads nothing of the debugger until its tab is shown', async () => {
    const { ctx, debuggerApi } = context(true);
    const panel = await shown(ctx);
    expect(tab(panel, 'overview')!.getAttribute('aria-selected')).toBe('true');
    expect(panel.content.debuggerModel).toBeNull();
    expect(debuggerApi.calls).toEqual([]);

    act(() => tab(panel, 'debugger')!.click());
    await settle();
    expect(panel.content.tab).toBe('debugger');
    expect(debuggerApi.calls).toContain('findings r1');
    expect(
      panel.node.querySelector('[data-testid="studio-debugger"]')
    ).not.toBeNull();
    // The run is running: the tab is live.
    expect(panel.content.debuggerModel!.isLive).toBe(true);
    act(() => panel.dispose());
  });

  it('opens at a step, and stops polling on the Overview tab', async () => {
    const { ctx, debuggerApi } = context(true);
    const panel = await shown(ctx);
    await act(() => panel.showDebugger(40));
    await settle();
    const model = panel.content.debuggerModel!;
    expect(model.focusStep).toBe(40);
    expect(model.selected).toEqual(['gradients/fc2.weight']);
    expect(
      panel.node
        .querySelector('[data-testid="studio-debugger-chart"]')!
        .getAttribute('data-markers')
    ).toBe('40');

    act(() => panel.content.setTab('overview'));
    const asked = debuggerApi.calls.filter(c => c === 'findings r1').length;
    await settle(2200);
    expect(debuggerApi.calls.filter(c => c === 'findings r1')).toHaveLength(
      asked
    );
    act(() => panel.dispose());
  });

  it('has no Debugger tab without the debugger’s routes', async () => {
    const { ctx } = context(false);
    const panel = await shown(ctx);
    expect(tab(panel, 'debugger')).toBeNull();
    await act(() => panel.showDebugger(40));
    expect(panel.content.debuggerModel).toBeNull();
    act(() => panel.dispose());
  });
});
