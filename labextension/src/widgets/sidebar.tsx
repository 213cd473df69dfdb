/**
 * The Studio sidebar widget: wraps the pure Sidebar component around an ExperimentsModel. The
 * experiments refresh while the sidebar is seen; the running runs come from the application's
 * watcher, which goes on while the sidebar is collapsed.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import { Sidebar } from '../components/Sidebar';
import { studioIcon } from '../icons';
import type { AlertsModel } from '../models/alertsModel';
import { ExperimentsModel } from '../models/experimentsModel';
import type { IRegistrySectionProps } from '../components/registry/RegistrySection';
import type { JobsSummaryModel } from '../models/jobsSummary';
import type { RegistryModel } from '../models/registryModel';
import { CommandIDs, IPanelContext } from '../tokens';
import type { RunningRuns, StudioWatcher } from '../watcher';
import { ClockedModelView } from './modelView';

export class StudioSidebar extends ClockedModelView<ExperimentsModel> {
  constructor(
    context: IPanelContext,
    watcher: StudioWatcher,
    running: RunningRuns,
    alerts: AlertsModel | null = null,
    jobs: JobsSummaryModel | null = null,
    registry: RegistryModel | null = null
  ) {
    super(
      new ExperimentsModel({
        api: context.api,
        settings: context.settings,
        running
      })
    );
    this._context = context;
    this._watcher = watcher;
    this._trans = context.translator.load('jupyter-studio');
    this.id = 'jp-studio-sidebar';
    this.addClass('jp-Studio-sidebar');
    this.title.icon = studioIcon;
    this.title.caption = this._trans.__('Studio');
    this._alerts = alerts;
    alerts?.stateChanged.connect(() => this.update(), this);
    this._jobs = jobs;
    jobs?.stateChanged.connect(() => {
      this.update();
      this.syncClock();
    }, this);
    this._registry = registry;
    registry?.stateChanged.connect(() => this.update(), this);
  }

  /** Load experiments and running runs now. */
  async refresh(): Promise<void> {
    await Promise.all([
      this.model.refresh(),
      this._watcher.refresh(),
      this._alerts?.refresh(),
      this._registry?.refresh()
    ]);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._registry?.dispose();
    super.dispose();
  }

  protected renderModel(): JSX.Element {
    const model = this.model;
    return (
      <Sidebar
        experiments={model.filtered}
        experimentCount={model.experiments.length}
        runningRuns={model.runningRuns}
        runningTotal={model.runningTotal}
        experimentName={id => model.experimentName(id)}
        query={model.query}
        error={model.error}
        loaded={model.loaded}
        now={Date.now()}
        trans={this._trans}
        onQueryChange={query => {
          model.query = query;
        }}
        onOpenExperiment={experimentId =>
          void this._context.commands.execute(CommandIDs.openExperiment, {
            experimentId
          })
        }
        onOpenRun={runId =>
          void this._context.commands.execute(CommandIDs.openRun, { runId })
        }
        onOpenRunById={() =>
          void this._context.commands.execute(CommandIDs.openRun)
        }
        onRefresh={() => void this.refresh()}
        alerts={this._alerts?.alerts}
        alertsError={this._alerts?.error}
        alertsLoaded={this._alerts?.loaded}
        jobsSummary={this._jobs?.summary}
        jobsError={this._jobs?.error}
        onOpenJobs={
          this._jobs
            ? target =>
                void this._context.commands.execute(CommandIDs.openJobs, target)
            : undefined
        }
        registry={this._registryProps()}
        onOpenAlert={alert =>
          void this._context.commands.execute(CommandIDs.openDebugger, {
            runId: alert.run_id,
            step: alert.step,
            ...(alert.tensors.length ? { tensor: alert.tensors[0] } : {})
          })
        }
      />
    );
  }

  /** The Registry section's props; none without the registry's routes. */
  private _registryProps(): Omit<IRegistrySectionProps, 'trans'> | undefined {
    const registry = this._registry;
    if (!registry) {
      return undefined;
    }
    return {
      models: registry.loaded ? registry.models : null,
      expanded: registry.expanded,
      versions: name => registry.versions(name),
      error: registry.error,
      endpoints: registry.endpoints,
      onOpenEndpoint: name =>
        void this._context.commands.execute(CommandIDs.openEndpoint, { name }),
      onToggle: name => void registry.toggle(name),
      onOpenVersion: (model, version) =>
        void this._context.commands.execute(CommandIDs.openModelVersion, {
          model,
          version
        })
    };
  }

  /** Show the Registry section (the sidebar scrolls it into view). */
  showRegistry(): void {
    const node = this.node.querySelector(
      '[data-testid="studio-registry-section"]'
    );
    node?.scrollIntoView?.({ block: 'start' });
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._registry?.setActive(true);
  }

  protected onAfterHide(msg: Message): void {
    super.onAfterHide(msg);
    this._registry?.setActive(false);
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._registry?.setActive(this.isVisible);
  }

  /** Running runs or jobs are listed. */
  protected get ticking(): boolean {
    return (
      this.model.runningRuns.length > 0 ||
      (this._jobs?.summary?.running.length ?? 0) > 0
    );
  }

  private _context: IPanelContext;
  private _watcher: StudioWatcher;
  private _alerts: AlertsModel | null;
  private _jobs: JobsSummaryModel | null;
  private _registry: RegistryModel | null;
  private _trans: TranslationBundle;
}
