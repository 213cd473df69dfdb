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

import { announceFindings } from '../plugin';
import { CommandIDs } from '../tokens';
import { alert, settingsHolder } from './debuggerFixtures';

const trans = nullTranslator.load('jupyter-studio');

function setup(): {
  commands: CommandRegistry;
  opened: ReadonlyPartialJSONObject[];
} {
  const commands = new CommandRegistry();
  const opened: ReadonlyPartialJSONObject[] = [];
  commands.addCommand(CommandIDs.openDebugger, {
    execute: args => {
      opened.push(args);
    }
  });
  return { commands, opened };
}

beforeEach(() => Notification.dismiss());

describe('announceFindings', () => {
  it('raises a notification per finding whose Open opens the debugger at its step', () => {
    const { commands, opened } = setup();
    announceFindings(
      commands,
      settingsHolder(),
      [
        alert(3, { step: 120 }),
        alert(4, {
          rule: 'LossNotDecreasing',
          message: 'loss flat',
          tensors: [],
          run_name: ''
        })
      ],
      trans
    );
    const shown = Notification.manager.notifications;
    expect(shown.map(n => [n.type, n.message])).toEqual(
      expect.arrayContaining([
        [
          'error',
          'ExplodingTensor fired on run training-3 at step 120: gradients/fc2.weight has NaN values'
        ],
        [
          'warning',
          'LossNotDecreasing fired on run run-4 at step 40: loss flat'
        ]
      ])
    );
    const exploding = shown.find(n => n.message.startsWith('Exploding'))!;
    const [open] = exploding.options.actions!;
    expect(open.label).toBe('Open');
    open.callback(new MouseEvent('click'));
    expect(opened).toEqual([
      { runId: 'run-3', step: 120, tensor: 'gradients/fc2.weight' }
    ]);
  });

  it('says how many more there are past the first three', () => {
    const { commands } = setup();
    const arrived = [1, 2, 3, 4, 5].map(id => alert(id));
    announceFindings(commands, settingsHolder(), arrived, trans);
    const messages = Notification.manager.notifications.map(n => n.message);
    expect(messages).toHaveLength(4);
    expect(messages).toContain(
      '2 more debugger findings: see Alerts in the Studio sidebar'
    );
  });

  it('stays quiet when the setting turns the notifications off', () => {
    const { commands } = setup();
    announceFindings(
      commands,
      settingsHolder({ debuggerNotifications: false }),
      [alert(1)],
      trans
    );
    expect(Notification.manager.count).toBe(0);
  });
});
