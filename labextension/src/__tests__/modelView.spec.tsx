// jsdom lacks requestIdleCallback, which ReactWidget uses.
const jsdomGlobals = globalThis as { requestIdleCallback?: unknown };
jsdomGlobals.requestIdleCallback ??= (callback: () => void) =>
  setTimeout(callback, 0);

import { Signal } from '@lumino/signaling';
import { Panel, Widget } from '@lumino/widgets';
import { act } from '@testing-library/react';
import * as React from 'react';

import { IViewedModel, ModelView } from '../widgets/modelView';

class CountModel implements IViewedModel {
  count = 0;
  active: boolean[] = [];
  readonly stateChanged = new Signal<this, void>(this);
  setActive(active: boolean): void {
    this.active.push(active);
  }
  increment(): void {
    this.count += 1;
    this.stateChanged.emit();
  }
}

class CountView extends ModelView<CountModel> {
  protected renderModel(): JSX.Element {
    return <span className="count">{this.model.count}</span>;
  }
}

const flush = () => new Promise(resolve => setTimeout(resolve, 20));

describe('ModelView', () => {
  it('draws the model again on stateChanged', async () => {
    const view = new CountView(new CountModel());
    await act(async () => {
      Widget.attach(view, document.body);
      await flush();
    });
    expect(view.node.querySelector('.count')?.textContent).toBe('0');
    await act(async () => {
      view.model.increment();
      await flush();
    });
    expect(view.node.querySelector('.count')?.textContent).toBe('1');
    act(() => view.dispose());
  });

  it('tells its model whether it is seen: attached, hidden, shown, closed', async () => {
    const view = new CountView(new CountModel());
    await act(async () => {
      Widget.attach(view, document.body);
      await flush();
    });
    act(() => view.hide());
    act(() => view.show());
    act(() => view.dispose());
    expect(view.model.active).toEqual([true, false, true, false]);
  });

  it('added to a hidden panel (a background tab), it is not active until shown', () => {
    const parent = new Panel();
    parent.hide();
    Widget.attach(parent, document.body);
    const view = new CountView(new CountModel());
    act(() => parent.addWidget(view));
    expect(view.model.active).toEqual([false]);
    act(() => parent.show());
    expect(view.model.active).toEqual([false, true]);
    act(() => view.dispose());
    parent.dispose();
  });
});
