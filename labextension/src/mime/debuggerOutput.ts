/**
 * The output a notebook's debugger widget displays (`studio.debugger.widget`): a button that
 * opens the run's debugger panel at a step, through the `studio:open-debugger` command.
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
import { Widget } from '@lumino/widgets';

/** The MIME type of the output (data: { run_id, step }). */
export const DEBUGGER_MIME_TYPE = 'application/vnd.studio.debugger+json';

/** The command that opens a run's debugger panel: args { runId, step }. */
export const OPEN_DEBUGGER_COMMAND = 'studio:open-debugger';

/** Above JupyterLab's own renderers, so that the button wins over the text fallback. */
export const DEBUGGER_OUTPUT_RANK = 0;

/** The data of one output: the run, and the step to open at (null: none in particular). */
export interface IDebuggerOutput {
  run_id: string;
  step?: number | null;
}

function parse(data: unknown): IDebuggerOutput | null {
  if (typeof data !== 'object' || data === null) {
    return null;
  }
  const { run_id: runId, step } = data as Record<string, unknown>;
  if (typeof runId !== 'string' || runId === '') {
    return null;
  }
  return { run_id: runId, step: typeof step === 'number' ? step : null };
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
    const available = this.commands.hasCommand(OPEN_DEBUGGER_COMMAND);
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
    if (!output || !this.commands.hasCommand(OPEN_DEBUGGER_COMMAND)) {
      return;
    }
    this.commands
      .execute(OPEN_DEBUGGER_COMMAND, {
        runId: output.run_id,
        step: output.step ?? null
      })
      .catch(reason => {
        console.error(
          'Studio: the debugger panel could not be opened.',
          reason
        );
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
