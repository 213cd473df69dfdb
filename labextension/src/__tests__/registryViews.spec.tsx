/**
 * The registry and endpoint views: the sidebar's Models section, a version's page, the deploy
 * form, and the endpoint panel (weights, the evaluation's verdict, "try it", start and stop).
 */
import { nullTranslator } from '@jupyterlab/translation';
import { fireEvent, render, screen, within } from '@testing-library/react';
import * as React from 'react';

import { ApproveForm } from '../components/registry/ApproveForm';
import { DeployForm } from '../components/registry/DeployForm';
import { RegistrySection } from '../components/registry/RegistrySection';
import { VersionView } from '../components/registry/VersionView';
import {
  EndpointView,
  IEndpointViewProps
} from '../components/serving/EndpointView';
import { verdict } from '../components/serving/Evaluation';
import { emptyDeployForm } from '../models/deployForm';
import {
  FakeEndpointsAPI,
  LIVE_REPLICA,
  endpoint,
  evaluation,
  lineage,
  modelVersion,
  registeredModel
} from './registryFixtures';

const trans = nullTranslator.load('jupyter-studio');

describe('RegistrySection', () => {
  it('lists models with their aliases, and an expanded model’s versions with approval badges', () => {
    const onToggle = jest.fn();
    const onOpenVersion = jest.fn();
    const { container } = render(
      <RegistrySection
        models={[
          registeredModel('churn', { aliases: { champion: 2 } }),
          registeredModel('fraud', { version_count: 1 })
        ]}
        expanded={new Set(['churn'])}
        versions={name =>
          name === 'churn'
            ? [
                modelVersion('churn', 2, {
                  status: 'APPROVED',
                  aliases: ['champion']
                }),
                modelVersion('churn', 1, { status: 'REJECTED' })
              ]
            : null
        }
        error={null}
        trans={trans}
        onToggle={onToggle}
        onOpenVersion={onOpenVersion}
      />
    );
    const models = screen.getAllByTestId('studio-registry-model');
    expect(models.map(m => m.dataset.modelName)).toEqual(['churn', 'fraud']);
    expect(models[0].textContent).toContain('@champion → v2');
    expect(models[1].textContent).toContain('no alias');

    const versions = screen.getAllByTestId('studio-registry-version');
    expect(versions.map(v => v.dataset.modelVersion)).toEqual([
      'churn/2',
      'churn/1'
    ]);
    const badges = container.querySelectorAll(
      '[data-testid="studio-approval"]'
    );
    expect([...badges].map(b => b.textContent)).toEqual([
      'approved',
      'rejected'
    ]);
    expect(versions[0].textContent).toContain('@champion');

    fireEvent.click(versions[1]);
    expect(onOpenVersion).toHaveBeenCalledWith('churn', 1);
    fireEvent.click(models[1]);
    expect(onToggle).toHaveBeenCalledWith('fraud');
  });

  it('lists the endpoints, serving or not, and opens one on click', () => {
    const onOpenEndpoint = jest.fn();
    render(
      <RegistrySection
        models={[registeredModel('churn')]}
        expanded={new Set()}
        versions={() => null}
        endpoints={[endpoint('live', { running: true }), endpoint('staging')]}
        onOpenEndpoint={onOpenEndpoint}
        error={null}
        trans={trans}
        onToggle={jest.fn()}
        onOpenVersion={jest.fn()}
      />
    );
    const items = screen.getAllByTestId('studio-registry-endpoint');
    expect(
      items.map(item => [item.dataset.endpointName, item.dataset.running])
    ).toEqual([
      ['live', 'true'],
      ['staging', 'false']
    ]);
    expect(items[0].textContent).toContain('A · B · S (shadow)');
    expect(items[1].textContent).toContain('stopped');
    fireEvent.click(items[1]);
    expect(onOpenEndpoint).toHaveBeenCalledWith('staging');
  });

  it('says how to register a model when there is none', () => {
    render(
      <RegistrySection
        models={[]}
        expanded={new Set()}
        versions={() => null}
        error={null}
        trans={trans}
        onToggle={jest.fn()}
        onOpenVersion={jest.fn()}
      />
    );
    expect(screen.getByTestId('studio-registry-section').textContent).toContain(
      'studio.register_model'
    );
  });
});

describe('VersionView', () => {
  function renderVersion(
    change: Partial<Parameters<typeof VersionView>[0]> = {}
  ) {
    const props = {
      version: modelVersion('churn', 2, {
        status: 'APPROVED' as const,
        status_by: 'grace',
        status_at: 1_700_000_000_000,
        status_comment: 'good',
        aliases: ['champion']
      }),
      model: registeredModel('churn'),
      lineage: lineage({
        notebook: 'train.ipynb',
        job_run: { id: 7 },
        needs_approval: ['mylib.Scaler'],
        deployments: [
          {
            id: 1,
            endpoint: 'live',
            kind: 'variant_added',
            model_uri: 'models:/churn/2',
            detail: {},
            actor: 'grace',
            at: 1_700_000_000_000
          }
        ]
      }),
      error: null,
      busy: null,
      trans,
      onOpenRun: jest.fn(),
      onOpenJobRun: jest.fn(),
      onOpenNotebook: jest.fn(),
      onOpenEndpoint: jest.fn(),
      onSetAlias: jest.fn(),
      onDeleteAlias: jest.fn(),
      ...change
    };
    render(<VersionView {...props} />);
    return props;
  }

  it('shows its approval, metrics, params, gates, signature, example and deployments', () => {
    renderVersion();
    const page = screen.getByTestId('studio-version');
    expect(page.textContent).toContain('approved by grace');
    expect(page.textContent).toContain('“good”');
    expect(screen.getByTestId('studio-version-metrics').textContent).toContain(
      'accuracy0.93'
    );
    expect(screen.getByTestId('studio-version-params').textContent).toContain(
      'C0.5'
    );
    const gate = within(screen.getByTestId('studio-gates')).getAllByRole(
      'row'
    )[1];
    expect(gate.textContent).toBe('accuracy>= 0.90.93passes');
    expect(screen.getByTestId('studio-version-trust').textContent).toContain(
      'mylib.Scaler'
    );
    const signature = within(screen.getByTestId('studio-signature'))
      .getAllByRole('row')
      .map(row => row.textContent);
    expect(signature).toEqual(['Input columnType', 'agedouble', 'planstring']);
    expect(screen.getByTestId('studio-input-example').textContent).toBe(
      'ageplan41pro'
    );
    expect(screen.getByTestId('studio-deployments').textContent).toContain(
      'variant_added'
    );
  });

  it('opens the run, the job run and the notebook from the lineage, and edits aliases', () => {
    const props = renderVersion();
    fireEvent.click(screen.getByTestId('studio-lineage-run'));
    expect(props.onOpenRun).toHaveBeenCalledWith('run2');
    fireEvent.click(screen.getByTestId('studio-lineage-job'));
    expect(props.onOpenJobRun).toHaveBeenCalledWith(7);
    fireEvent.click(screen.getByTestId('studio-lineage-notebook'));
    expect(props.onOpenNotebook).toHaveBeenCalledWith('train.ipynb');

    fireEvent.click(screen.getByLabelText('Remove @champion'));
    expect(props.onDeleteAlias).toHaveBeenCalledWith('champion');
    const input = screen.getByTestId('studio-alias-input');
    fireEvent.change(input, { target: { value: 'no good' } });
    expect(screen.getByText('Set alias').closest('button')!.disabled).toBe(
      true
    );
    fireEvent.change(input, { target: { value: 'challenger' } });
    fireEvent.submit(input);
    expect(props.onSetAlias).toHaveBeenCalledWith('challenger');
  });
});

describe('ApproveForm', () => {
  it('lists the types approving trusts with why each is untrusted, and warns of a failing gate', () => {
    const onComment = jest.fn();
    render(
      <ApproveForm
        types={['mylib.Scaler', 'numpy.random.RandomState']}
        reasons={{ 'mylib.Scaler': 'not from scikit-learn' }}
        gates={[
          {
            metric: 'accuracy',
            condition: '>= 0.9',
            value: 0.7,
            passed: false,
            message: 'accuracy 0.7 < 0.9'
          }
        ]}
        comment=""
        trans={trans}
        onComment={onComment}
      />
    );
    const types = within(screen.getByTestId('studio-approve-types'))
      .getAllByRole('listitem')
      .map(item => item.textContent);
    expect(types).toEqual([
      'mylib.Scaler — not from scikit-learn',
      'numpy.random.RandomState'
    ]);
    expect(screen.getByTestId('studio-gates').textContent).toContain('fails');
    expect(screen.getByRole('alert').textContent).toContain(
      'the server will refuse'
    );
    fireEvent.change(screen.getByTestId('studio-approve-comment'), {
      target: { value: 'read the code' }
    });
    expect(onComment).toHaveBeenCalledWith('read the code');
  });
});

describe('DeployForm', () => {
  it('offers a new endpoint, or a variant with a weight, or a shadow with a sampling', () => {
    const onChange = jest.fn();
    const form = emptyDeployForm('churn', 2, ['live']);
    const { rerender } = render(
      <DeployForm
        form={form}
        endpoints={['live']}
        problems={[]}
        trans={trans}
        onChange={onChange}
      />
    );
    expect(screen.getByTestId('studio-deploy-token')).toBeTruthy();
    expect(screen.getByTestId('studio-deploy-capture')).toBeTruthy();
    fireEvent.click(screen.getByTestId('studio-deploy-mode-shadow'));
    expect(onChange).toHaveBeenCalledWith({ mode: 'shadow' });

    rerender(
      <DeployForm
        form={{ ...form, mode: 'shadow' }}
        endpoints={['live']}
        problems={['The sampling share is above 0 and at most 1.']}
        trans={trans}
        onChange={onChange}
      />
    );
    expect(screen.queryByTestId('studio-deploy-weight')).toBeNull();
    fireEvent.change(screen.getByTestId('studio-deploy-sampling'), {
      target: { value: '0.3' }
    });
    expect(onChange).toHaveBeenLastCalledWith({ sampling: 0.3 });
    expect(screen.getByRole('alert').textContent).toContain('sampling');
  });

  it('offers only a new endpoint when none exists', () => {
    render(
      <DeployForm
        form={emptyDeployForm('churn', 2)}
        endpoints={[]}
        problems={[]}
        trans={trans}
        onChange={jest.fn()}
      />
    );
    const variant = screen.getByTestId(
      'studio-deploy-mode-variant'
    ) as HTMLInputElement;
    expect(variant.disabled).toBe(true);
  });
});

describe('EndpointView', () => {
  function props(change: Partial<IEndpointViewProps> = {}): IEndpointViewProps {
    const api = new FakeEndpointsAPI();
    return {
      endpoint: endpoint('churn', { replicas: [LIVE_REPLICA] }),
      metrics: api.metricsOf,
      evaluation: api.evaluationOf,
      error: null,
      running: true,
      transition: null,
      weight: name => (name === 'B' ? 3 : 1),
      shares: { A: 0.25, B: 0.75 },
      weightsError: null,
      body: '{"inputs": [[1]]}',
      target: '',
      answer: null,
      invoking: false,
      trans,
      onStart: jest.fn(),
      onStop: jest.fn(),
      onWeight: jest.fn(),
      onOpenVersion: jest.fn(),
      onBody: jest.fn(),
      onTarget: jest.fn(),
      onInvoke: jest.fn(),
      ...change
    };
  }

  it('shows each variant with its weight slider and share, a shadow with its sampling', () => {
    const p = props();
    render(<EndpointView {...p} />);
    const rows = within(screen.getByTestId('studio-endpoint-variants'))
      .getAllByRole('row')
      .slice(1);
    expect(rows.map(r => r.dataset.variant)).toEqual(['A', 'B', 'S']);
    expect(rows.map(r => r.lastElementChild!.textContent)).toEqual([
      '25%',
      '75%',
      '—'
    ]);
    expect(rows[2].textContent).toContain('copy of 50% of requests');
    const sliders = screen.getAllByTestId('studio-weight-slider');
    expect(sliders).toHaveLength(2);
    fireEvent.change(sliders[1], { target: { value: '4.5' } });
    expect(p.onWeight).toHaveBeenCalledWith('B', 4.5);
    fireEvent.click(within(rows[1]).getByText('models:/churn/2'));
    expect(p.onOpenVersion).toHaveBeenCalledWith('churn', 2);
    expect(
      screen.getByTestId('studio-endpoint-replicas').textContent
    ).toContain('127.0.0.1:8123 · pid 4242 · 2 workers');
    // Three live charts, one per measure.
    expect(screen.getByTestId('studio-endpoint-chart-latency')).toBeTruthy();
  });

  it('enables start when stopped, stop when running, neither while one is under way', () => {
    const stopped = props({ running: false, endpoint: endpoint('churn') });
    const { rerender } = render(<EndpointView {...stopped} />);
    const start = screen.getByTestId(
      'studio-endpoint-start'
    ) as HTMLButtonElement;
    const stop = screen.getByTestId(
      'studio-endpoint-stop'
    ) as HTMLButtonElement;
    expect([start.disabled, stop.disabled]).toEqual([false, true]);
    fireEvent.click(start);
    expect(stopped.onStart).toHaveBeenCalled();
    expect(
      (screen.getByTestId('studio-try-send') as HTMLButtonElement).disabled
    ).toBe(true);

    rerender(<EndpointView {...stopped} transition="starting" />);
    expect(screen.getByTestId('studio-endpoint-state').textContent).toContain(
      'starting'
    );
    expect([start.disabled, stop.disabled]).toEqual([true, true]);
  });

  it('calls the winner only when the comparison is significant and decided', () => {
    const decided = evaluation().comparisons[0];
    expect(verdict(decided, trans)).toBe('B beats A (p = 0.002)');
    expect(
      verdict({ ...decided, decided: false, traffic_still_needed: 1234 }, trans)
    ).toBe('not yet conclusive: ~1,234 more labelled requests');
    expect(
      verdict(
        { ...decided, significant: false, traffic_still_needed: 0 },
        trans
      )
    ).toBe('not yet conclusive');

    render(
      <EndpointView
        {...props({
          evaluation: evaluation({ decided: false, traffic_still_needed: 50 })
        })}
      />
    );
    const shown = screen.getByTestId('studio-verdict');
    expect(shown.dataset.decided).toBe('false');
    expect(shown.textContent).not.toContain('beats');
    expect(screen.getByTestId('studio-evaluation').textContent).toContain(
      '0.860'
    );
  });

  it('sends "try it" to the variant chosen and shows the answer with its headers', () => {
    const p = props({
      answer: {
        status: 200,
        body: '{"predictions":[1]}',
        variant: 'B',
        requestId: 'abc123'
      }
    });
    render(<EndpointView {...p} />);
    fireEvent.change(screen.getByTestId('studio-try-target'), {
      target: { value: 'B' }
    });
    expect(p.onTarget).toHaveBeenCalledWith('B');
    const options = within(screen.getByTestId('studio-try-target'))
      .getAllByRole('option')
      .map(o => o.textContent);
    // A shadow never answers: it cannot be asked for.
    expect(options).toEqual(['by weight', 'A', 'B']);
    fireEvent.click(screen.getByTestId('studio-try-send'));
    expect(p.onInvoke).toHaveBeenCalled();
    expect(screen.getByTestId('studio-try-variant').textContent).toBe('B');
    expect(screen.getByTestId('studio-try-request-id').textContent).toBe(
      'abc123'
    );
    expect(screen.getByTestId('studio-try-answer').textContent).toContain(
      '"predictions": ['
    );
  });
});
