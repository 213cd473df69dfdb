import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator } from '@jupyterlab/translation';

export function activateStudio(
  app: JupyterFrontEnd,
  restorer: ILayoutRestorer | null,
  settingRegistry: ISettingRegistry | null,
  translator: ITranslator
): void {
  void app;
  void restorer;
  void settingRegistry;
  void translator;
}
