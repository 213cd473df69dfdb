/**
 * The output a notebook's debugger widget displays (`studio.debugger.widget`): a button that
 * opens the run's debugger panel at a step (and on a tensor), through `studio:open-debugger`.
 *
 * It is a rendermime factory added by a plugin rather than a mime extension, because it needs
 * the application's commands. Where the command is missing (an older Studio, or the panel's
 * plugin disabled), the button stays disabled and says why, and becomes usable as soon as
 * the command is added.
 */
import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';

import { CommandIDs } from '../tokens';

/** The MIME type of the output (data: { run_id, step?, tensor? }). */
export const DEBUGGER_MIME_TYPE = 'application/vnd.studio.debugger+json';

/** Above JupyterLab's own renderers, so that the button wins over the text fallback. */
export const DEBUGGER_OUTPUT_RANK = 0;

/** The data of one output: the run, and the step and tensor to open at (null or absent:
 * none in particular). */
export interface IDebuggerOutput {
  run_id: string;
  step?: number | null;
  tensor?: string | null;
}

function parse(data: unknown): IDebuggerOutput | null {
  if (typeof data !== 'object' || data === null) {
    return null;
  }
  const { run_id: runId, step, tensor } = data as Record<string, unknown>;
  if (typeof runId !== 'string' || runId === '') {
    return null;
  }
  return {
    run_id: runId,
    step: typeof step === 'number' ? step : null,
    tensor: typeof tensor === 'string' && tensor !== '' ? tensor : null
  };
}

/** The button: enabled while the command exists, running it once per click. */
export class DebuggerOutput extends Widget implements IRenderMime.IRenderer {
  constructor(
    private readonly commands: CommandRegistry,
    private readonly trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-Studio-debuggerOutput');
    this.button = document.createElement('button');
    this.button.type = 'button';
    this.button.className = 'jp-Studio-debuggerOutput-button';
    this.button.dataset.testid = 'studio-open-debugger';
    this.button.addEventListener('click', () => this.open());
    this.node.appendChild(this.button);
    this.commands.commandChanged.connect(this.update, this);
  }

  renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    this.output = parse(model.data[DEBUGGER_MIME_TYPE]);
    this.update();
    return Promise.resolve();
  }

  dispose(): void {
    if (!this.isDisposed) {
      this.commands.commandChanged.disconnect(this.update, this);
    }
    super.dispose();
  }

  /** Label, state and title from the output and the command's presence. */
  update(): void {
    const output = this.output;
    const available = this.commands.hasCommand(CommandIDs.openDebugger);
    const step =
      output?.step === null || output?.step === undefined
        ? ''
        : this.trans.__(' at step %1', output.step);
    this.button.textContent = this.trans.__('Open in Studio debugger') + step;
    this.button.disabled = !output || !available;
    this.button.title = !output
      ? this.trans.__('This output names no run.')
      : available
        ? this.trans.__('Open run %1 in Studio’s debugger panel', output.run_id)
        : this.trans.__(
            'Studio’s debugger panel is not available in this JupyterLab.'
          );
  }

  private open(): void {
    const output = this.output;
    if (!output || !this.commands.hasCommand(CommandIDs.openDebugger)) {
      return;
    }
    // The command's arguments are optional: absent, not null, where the output names none.
    const args: ReadonlyPartialJSONObject = {
      runId: output.run_id,
      ...(output.step !== null && output.step !== undefined
        ? { step: output.step }
        : {}),
      ...(output.tensor ? { tensor: output.tensor } : {})
    };
    this.commands.execute(CommandIDs.openDebugger, args).catch(reason => {
      console.error('Studio: the debugger panel could not be opened.', reason);
    });
  }

  private readonly button: HTMLButtonElement;
  private output: IDebuggerOutput | null = null;
}

/** The factory the plugin adds to the application's rendermime registry. */
export function debuggerOutputFactory(
  commands: CommandRegistry,
  trans: TranslationBundle
): IRenderMime.IRendererFactory {
  return {
    safe: true,
    mimeTypes: [DEBUGGER_MIME_TYPE],
    defaultRank: DEBUGGER_OUTPUT_RANK,
    createRenderer: () => new DebuggerOutput(commands, trans)
  };
}

/** The plugin's activation: the button renders in every notebook opened from now on. */
export function activateDebuggerOutput(
  commands: CommandRegistry,
  rendermime: IRenderMimeRegistry,
  translator: ITranslator
): void {
  const trans = translator.load('jupyter-studio');
  rendermime.addFactory(debuggerOutputFactory(commands, trans));
}
