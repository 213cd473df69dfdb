/**
 * The one way a Studio model reaches its view: the view draws the model again whenever the
 * model's `stateChanged` fires (JupyterLab's `UseSignal`), and tells the model whether anyone
 * can see it, so that the model polls only then. A panel closed (disposed) detaches first, so
 * its model stops polling before it is disposed.
 */
import { ReactWidget, UseSignal } from '@jupyterlab/apputils';
import type { IDisposable } from '@lumino/disposable';
import type { Message } from '@lumino/messaging';
import type { ISignal } from '@lumino/signaling';
import * as React from 'react';

import { Clock } from './clock';

/** What a view needs from its model. */
export interface IViewedModel {
  /** Emitted after anything the view shows changed. */
  readonly stateChanged: ISignal<unknown, void>;
  /** Poll while `active` (the view is seen); refresh once on becoming active again. */
  setActive(active: boolean): void;
}

export abstract class ModelView<M extends IViewedModel> extends ReactWidget {
  constructor(model: M) {
    super();
    this.model = model;
    // Focusable, so that activating the tab makes it JupyterLab's current widget.
    this.node.tabIndex = -1;
  }

  readonly model: M;

  /** The view of the model as it is now. */
  protected abstract renderModel(): JSX.Element;

  protected render(): JSX.Element {
    return (
      <UseSignal signal={this.model.stateChanged}>
        {() => this.renderModel()}
      </UseSignal>
    );
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    this.node.focus();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.model.setActive(this.isVisible);
  }

  protected onBeforeDetach(msg: Message): void {
    this.model.setActive(false);
    super.onBeforeDetach(msg);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.model.setActive(true);
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this.model.setActive(false);
  }
}

/**
 * A model view whose elapsed times tick: it redraws once a second while `ticking` says that
 * something it shows runs and it is seen. It owns its model and disposes of it.
 */
export abstract class ClockedModelView<
  M extends IViewedModel & IDisposable
> extends ModelView<M> {
  constructor(model: M) {
    super(model);
    model.stateChanged.connect(this.syncClock, this);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._clock.dispose();
    this.model.dispose();
    super.dispose();
  }

  /** Whether something shown runs, so that its elapsed time moves. */
  protected abstract get ticking(): boolean;

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.syncClock();
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._clock.stop();
  }

  /** Tick while seen and `ticking`; stop otherwise. */
  protected syncClock(): void {
    this._clock.sync(this.isVisible && this.ticking);
  }

  private readonly _clock = new Clock(() => this.update());
}
