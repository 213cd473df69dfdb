/**
 * An endpoint's panel in the main area, with JupyterLab's toolbar (Refresh): its model polls
 * every endpoint interval while the panel is seen; start, stop, weights and "try it" tell
 * their failures (and a start's or stop's success) as notifications.
 */
import { MainAreaWidget, Notification } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Toolbar } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { IRegistryAPI } from '../api/registry';
import type { IEndpointsAPI } from '../api/serving';
import { EndpointView } from '../components/serving/EndpointView';
import { endpointIcon } from '../icons';
import { EndpointModel } from '../models/endpointModel';
import { CommandIDs, IPanelContext } from '../tokens';
import { ModelView } from './modelView';
import { refreshButton } from './toolbar';

export class EndpointPanel extends MainAreaWidget<EndpointPanelView> {
  constructor(
    context: IPanelContext,
    api: IEndpointsAPI,
    registry: IRegistryAPI,
    name: string
  ) {
    const trans = context.translator.load('jupyter-studio');
    const content = new EndpointPanelView(context, api, registry, name, trans);
    super({ content, toolbar: new Toolbar() });
    this.id = endpointPanelId(name);
    this.toolbar.addItem(
      'refresh',
      refreshButton(trans, () => void this.refresh())
    );
  }

  get endpointName(): string {
    return this.content.model.name;
  }

  get model(): EndpointModel {
    return this.content.model;
  }

  refresh(): Promise<void> {
    return this.content.model.refresh();
  }
}

export function endpointPanelId(name: string): string {
  return `studio-endpoint-${encodeURIComponent(name)}`;
}

export class EndpointPanelView extends ModelView<EndpointModel> {
  constructor(
    context: IPanelContext,
    api: IEndpointsAPI,
    registry: IRegistryAPI,
    name: string,
    private readonly _trans: TranslationBundle
  ) {
    super(
      new EndpointModel({ name, api, registry, settings: context.settings })
    );
    this._context = context;
    this.addClass('jp-Studio-endpointPanel');
    this.title.label = name;
    this.title.caption = _trans.__('Endpoint %1', name);
    this.title.closable = true;
    this.title.icon = endpointIcon;
    this.model.transitionEnded.connect((_, ended) => {
      const text =
        ended === 'started'
          ? _trans.__('Endpoint %1 is serving', name)
          : _trans.__('Endpoint %1 stopped', name);
      Notification.success(text, { autoClose: 4000 });
    }, this);
    void this.model.refresh().catch(() => undefined);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.dispose();
    super.dispose();
  }

  protected renderModel(): JSX.Element {
    const model = this.model;
    const trans = this._trans;
    return (
      <EndpointView
        endpoint={model.endpoint}
        metrics={model.metrics}
        evaluation={model.evaluation}
        error={model.error}
        running={model.running}
        transition={model.transition}
        weight={variant => model.weight(variant)}
        shares={model.shares()}
        weightsError={model.weightsError}
        body={model.body}
        target={model.target}
        answer={model.answer}
        invoking={model.invoking}
        trans={trans}
        onStart={() =>
          void this._run(trans.__('Starting %1', model.name), () =>
            model.start()
          )
        }
        onStop={() =>
          void this._run(trans.__('Stopping %1', model.name), () =>
            model.stop()
          )
        }
        onWeight={(variant, weight) => model.setWeight(variant, weight)}
        onOpenVersion={(modelName, version) =>
          void this._context.commands.execute(CommandIDs.openModelVersion, {
            model: modelName,
            version
          })
        }
        onBody={text => (model.body = text)}
        onTarget={variant => (model.target = variant)}
        onInvoke={() =>
          void this._run(trans.__('The request'), () => model.invoke())
        }
      />
    );
  }

  /** Run an action; true when it went through, else its failure is told. */
  private async _run(
    what: string,
    action: () => Promise<unknown>
  ): Promise<boolean> {
    try {
      await action();
      return true;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      Notification.error(this._trans.__('%1 failed: %2', what, message), {
        autoClose: 8000
      });
      return false;
    }
  }

  private readonly _context: IPanelContext;
}
