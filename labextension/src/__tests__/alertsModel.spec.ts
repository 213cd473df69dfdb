import type { Alert } from '../api/debugger';
import { AlertsModel, RECENT_ALERTS } from '../models/alertsModel';
import { alert, FakeDebuggerAPI, settingsHolder } from './debuggerFixtures';

function setup(alerts: Alert[]): {
  api: FakeDebuggerAPI;
  model: AlertsModel;
  arrived: Alert[][];
} {
  const api = new FakeDebuggerAPI();
  api.alerts = alerts;
  const model = new AlertsModel({
    api,
    settings: settingsHolder(),
    auto: false
  });
  const arrived: Alert[][] = [];
  model.arrived.connect((_, found) => arrived.push(found));
  return { api, model, arrived };
}

describe('AlertsModel', () => {
  it('lists the findings stored before the page opened without announcing them', async () => {
    const { api, model, arrived } = setup([alert(1), alert(2)]);
    await model.check();
    expect(model.loaded).toBe(true);
    expect(model.alerts.map(a => a.id)).toEqual([2, 1]);
    expect(arrived).toEqual([]);
    expect(api.calls).toEqual([`alerts none ${RECENT_ALERTS}`]);
    model.dispose();
  });

  it('announces each finding that arrives after, once, oldest first', async () => {
    const { api, model, arrived } = setup([alert(1)]);
    await model.check();
    api.alerts.push(alert(2), alert(3));
    await model.check();
    expect(api.calls[1]).toBe(`alerts 1 ${RECENT_ALERTS}`);
    expect(arrived.map(found => found.map(a => a.id))).toEqual([[2, 3]]);
    expect(model.alerts.map(a => a.id)).toEqual([3, 2, 1]);
    await model.check();
    expect(api.calls[2]).toBe(`alerts 3 ${RECENT_ALERTS}`);
    expect(arrived).toHaveLength(1);
    model.dispose();
  });

  it('announces the first findings of a store that had none when the page opened', async () => {
    const { api, model, arrived } = setup([]);
    await model.check();
    expect(model.alerts).toEqual([]);
    api.alerts.push(alert(5));
    await model.check();
    expect(arrived.map(found => found.map(a => a.id))).toEqual([[5]]);
    model.dispose();
  });

  it('keeps the most recent alerts only', async () => {
    const { api, model } = setup([alert(1)]);
    await model.check();
    for (let id = 2; id <= RECENT_ALERTS + 5; id++) {
      api.alerts.push(alert(id));
    }
    await model.check();
    expect(model.alerts).toHaveLength(RECENT_ALERTS);
    expect(model.alerts[0].id).toBe(RECENT_ALERTS + 5);
    model.dispose();
  });

  it('says why a check failed, and goes on from where it was', async () => {
    const { api, model, arrived } = setup([alert(1)]);
    await model.check();
    const getAlerts = api.getAlerts.bind(api);
    api.getAlerts = async () => {
      throw new Error('Server away');
    };
    await expect(model.check()).rejects.toThrow('Server away');
    expect(model.error).toBe('Server away');
    api.getAlerts = getAlerts;
    api.alerts.push(alert(2));
    await model.check();
    expect(model.error).toBeNull();
    expect(arrived.map(found => found.map(a => a.id))).toEqual([[2]]);
    model.dispose();
  });
});
