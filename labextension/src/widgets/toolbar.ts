/**
 * The toolbar items Studio's panels share: JupyterLab's own buttons, so that every panel's
 * toolbar looks and behaves like the rest of JupyterLab's.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import {
  CommandToolbarButton,
  LabIcon,
  ToolbarButton,
  refreshIcon
} from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import type { ReadonlyJSONObject } from '@lumino/coreutils';
import type { Widget } from '@lumino/widgets';

/** "Refresh": load the panel's data again now. */
export function refreshButton(
  trans: TranslationBundle,
  refresh: () => void
): ToolbarButton {
  return withTestId(
    new ToolbarButton({
      icon: refreshIcon,
      label: trans.__('Refresh'),
      tooltip: trans.__('Load again from the server'),
      onClick: refresh
    }),
    'studio-refresh-button'
  );
}

/** A button running one of Studio's commands on this panel's run or experiment. */
export function commandButton(
  commands: CommandRegistry,
  id: string,
  args: ReadonlyJSONObject,
  options: {
    icon?: LabIcon;
    label?: string | CommandRegistry.CommandFunc<string>;
    testId: string;
  }
): CommandToolbarButton {
  return withTestId(
    new CommandToolbarButton({
      commands,
      id,
      args,
      icon: options.icon,
      label: options.label ?? ''
    }),
    options.testId
  );
}

/** Name a toolbar item for the browser tests (their data-testid contract). */
function withTestId<T extends Widget>(item: T, testId: string): T {
  item.node.dataset.testid = testId;
  return item;
}
