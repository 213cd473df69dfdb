import { MimeModel, RenderMimeRegistry } from '@jupyterlab/rendermime';
import { nullTranslator } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import {
  DEBUGGER_MIME_TYPE,
  DebuggerOutput,
  activateDebuggerOutput
} from '../mime/debuggerOutput';
import { CommandIDs } from '../tokens';

const trans = nullTranslator.load('jupyter-studio');

function model(data: unknown): MimeModel {
  return new MimeModel({
    data: {
      [DEBUGGER_MIME_TYPE]: data as ReadonlyPartialJSONObject,
      'text/plain': 'Studio debugger: run abc'
    }
  });
}

async function rendered(
  commands: CommandRegistry,
  data: unknown
): Promise<HTMLButtonElement> {
  const output = new DebuggerOutput(commands, trans);
  await output.renderModel(model(data));
  return output.node.querySelector('button') as HTMLButtonElement;
}

describe('the debugger output', () => {
  it('runs studio:open-debugger once per click, with the run and the step', async () => {
    const commands = new CommandRegistry();
    const calls: unknown[] = [];
    commands.addCommand(CommandIDs.openDebugger, {
      execute: args => {
        calls.push(args);
      }
    });
    const button = await rendered(commands, {
      run_id: 'abc',
      step: 40,
      tensor: 'losses/loss'
    });
    expect(button.textContent).toBe('Open in Studio debugger at step 40');
    expect(button.disabled).toBe(false);
    button.click();
    await Promise.resolve();
    expect(calls).toEqual([{ runId: 'abc', step: 40, tensor: 'losses/loss' }]);
  });

  it('opens at no step or tensor in particular when the output names none', async () => {
    const commands = new CommandRegistry();
    const calls: unknown[] = [];
    commands.addCommand(CommandIDs.openDebugger, {
      execute: args => {
        calls.push(args);
      }
    });
    const button = await rendered(commands, { run_id: 'abc', step: null });
    expect(button.textContent).toBe('Open in Studio debugger');
    button.click();
    await Promise.resolve();
    expect(calls).toEqual([{ runId: 'abc' }]);
  });

  it('is disabled, saying why, until the command exists', async () => {
    const commands = new CommandRegistry();
    const button = await rendered(commands, { run_id: 'abc', step: 3 });
    expect(button.disabled).toBe(true);
    expect(button.title).toMatch(/not available/);

    const calls: unknown[] = [];
    const command = commands.addCommand(CommandIDs.openDebugger, {
      execute: args => {
        calls.push(args);
      }
    });
    expect(button.disabled).toBe(false);
    expect(button.title).toMatch(/Open run abc/);
    button.click();
    await Promise.resolve();
    expect(calls).toHaveLength(1);

    command.dispose();
    expect(button.disabled).toBe(true);
  });

  it('is disabled when the output names no run', async () => {
    const commands = new CommandRegistry();
    commands.addCommand(CommandIDs.openDebugger, { execute: () => undefined });
    const button = await rendered(commands, { step: 3 });
    expect(button.disabled).toBe(true);
    expect(button.title).toMatch(/names no run/);
  });

  it('is the renderer the registry picks for its MIME type', () => {
    const rendermime = new RenderMimeRegistry();
    activateDebuggerOutput(new CommandRegistry(), rendermime, nullTranslator);
    const bundle = model({ run_id: 'abc' }).data;
    expect(rendermime.preferredMimeType(bundle, 'any')).toBe(
      DEBUGGER_MIME_TYPE
    );
    expect(
      rendermime.createRenderer(DEBUGGER_MIME_TYPE) instanceof DebuggerOutput
    ).toBe(true);
  });
});
