// jsdom lacks DragEvent (touched by @lumino/dragdrop on import) and requestIdleCallback (Lumino).
const jsdomGlobals = globalThis as {
  DragEvent?: unknown;
  requestIdleCallback?: unknown;
};
jsdomGlobals.DragEvent ??= class extends MouseEvent {};
jsdomGlobals.requestIdleCallback ??= (callback: () => void) =>
  setTimeout(callback, 0);

import { Notification } from '@jupyterlab/apputils';
import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { idOf } from '../jobActions';
import { announceJobEnd } from '../plugin';
import { CommandIDs } from '../tokens';
import { settingsHolder } from './debuggerFixtures';
import { jobRun } from './jobsFixtures';

const trans = nullTranslator.load('jupyter-studio');

function setup(): {
  commands: CommandRegistry;
  executed: [string, ReadonlyPartialJSONObject][];
} {
  const commands = new CommandRegistry();
  const executed: [string, ReadonlyPartialJSONObject][] = [];
  for (const id of [CommandIDs.openJobOutput, CommandIDs.openJobs]) {
    commands.addCommand(id, {
      execute: args => void executed.push([id, args])
    });
  }
  return { commands, executed };
}

beforeEach(() => Notification.dismiss());

describe('announceJobEnd', () => {
  it('says a job succeeded, with a button that opens its executed notebook', () => {
    const { commands, executed } = setup();
    announceJobEnd(
      commands,
      settingsHolder(),
      jobRun(5, { name: 'nightly' }),
      trans
    );
    const [shown] = Notification.manager.notifications;
    expect([shown.type, shown.message]).toEqual([
      'success',
      'Job nightly succeeded'
    ]);
    const [open, jobs] = shown.options.actions!;
    expect([open.label, jobs.label]).toEqual(['Open notebook', 'Jobs']);
    open.callback(new MouseEvent('click'));
    jobs.callback(new MouseEvent('click'));
    expect(executed).toEqual([
      [CommandIDs.openJobOutput, { jobRunId: 5 }],
      [CommandIDs.openJobs, { jobRunId: 5 }]
    ]);
  });

  it('says why a job failed or timed out; no notebook button without one', () => {
    const { commands } = setup();
    announceJobEnd(
      commands,
      settingsHolder(),
      jobRun(6, {
        name: 'a',
        status: 'FAILED',
        error: 'ZeroDivisionError: division by zero'
      }),
      trans
    );
    announceJobEnd(
      commands,
      settingsHolder(),
      jobRun(7, { name: 'b', status: 'TIMED_OUT', error: null, outputs: [] }),
      trans
    );
    const shown = Notification.manager.notifications;
    expect(shown.map(n => [n.type, n.message])).toEqual(
      expect.arrayContaining([
        ['error', 'Job a failed: ZeroDivisionError: division by zero'],
        ['error', 'Job b timed out']
      ])
    );
    const timedOut = shown.find(n => n.message === 'Job b timed out')!;
    expect(timedOut.options.actions!.map(a => a.label)).toEqual(['Jobs']);
  });

  it('stays quiet when the setting turns job notifications off', () => {
    const { commands } = setup();
    announceJobEnd(
      commands,
      settingsHolder({ jobsNotifications: false }),
      jobRun(1),
      trans
    );
    expect(Notification.manager.count).toBe(0);
  });
});

describe('idOf', () => {
  it('reads a job run’s id from a number or a data attribute’s digits', () => {
    expect([
      idOf(3),
      idOf('12'),
      idOf(' 4 '),
      idOf('x1'),
      idOf(1.5),
      idOf(undefined)
    ]).toEqual([3, 12, 4, null, null, null]);
  });
});
