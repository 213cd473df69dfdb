import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import { Signal } from '@lumino/signaling';

import { parseSettings, SETTINGS_PLUGIN_ID, StudioSettings } from '../settings';
import { DEFAULT_SETTINGS, IStudioSettings } from '../tokens';

/** Enough of ISettingRegistry.ISettings for `load`: a composite and its changed signal. */
class FakeSettings {
  constructor(public composite: Record<string, unknown>) {}
  changed = new Signal<FakeSettings, void>(this);
}

describe('parseSettings', () => {
  it('keeps good values and falls back on the defaults for bad ones', () => {
    expect(
      parseSettings({
        refreshInterval: 2,
        defaultSmoothing: 0.6,
        defaultColumns: ['metrics.acc', 3],
        debuggerNotifications: false,
        alertsInterval: 0.5,
        jobsInterval: 7200,
        jobsNotifications: false,
        endpointInterval: 3
      })
    ).toEqual({
      refreshInterval: 2,
      defaultSmoothing: 0.6,
      defaultColumns: ['metrics.acc'],
      debuggerNotifications: false,
      alertsInterval: 1,
      jobsInterval: 3600,
      jobsNotifications: false,
      endpointInterval: 3
    });
    expect(
      parseSettings({
        refreshInterval: 'fast',
        defaultColumns: 'x',
        debuggerNotifications: 'no',
        alertsInterval: 'often',
        jobsInterval: null,
        jobsNotifications: 1
      })
    ).toEqual(DEFAULT_SETTINGS);
    expect(
      parseSettings({ refreshInterval: 0, defaultSmoothing: 5 })
    ).toMatchObject({
      refreshInterval: 1,
      defaultSmoothing: 0.99
    });
  });
});

describe('StudioSettings', () => {
  it('holds the defaults without a registry', async () => {
    const settings = new StudioSettings();
    await settings.load(null);
    expect(settings.current).toEqual(DEFAULT_SETTINGS);
  });

  it("loads Studio's plugin settings and follows the user's edits", async () => {
    const fake = new FakeSettings({
      refreshInterval: 10,
      defaultSmoothing: 0,
      defaultColumns: []
    });
    const registry = { load: jest.fn(async () => fake) };
    const settings = new StudioSettings();
    const seen: IStudioSettings[] = [];
    settings.changed.connect((_, value) => seen.push(value));

    await settings.load(registry as unknown as ISettingRegistry);
    expect(registry.load).toHaveBeenCalledWith(SETTINGS_PLUGIN_ID);
    expect(settings.current.refreshInterval).toBe(10);

    fake.composite = { ...fake.composite, defaultSmoothing: 0.8 };
    fake.changed.emit();
    expect(settings.current.defaultSmoothing).toBe(0.8);
    fake.changed.emit(); // nothing changed: no signal
    expect(seen.map(value => value.refreshInterval)).toEqual([10, 10]);
  });
});
