/**
 * The deploy dialog's form and the request it makes: a new endpoint with the version as its
 * one variant, or the version added to an existing endpoint as a variant (with a weight) or as
 * a shadow (with a sampling share). Pure: the dialog edits the form, this checks and builds.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import { endpointPatch } from '../api/serving';
import type { EndpointIn, EndpointPatch, VariantIn } from '../api/serving';

export type DeployMode = 'new' | 'variant' | 'shadow';

export interface IDeployForm {
  modelUri: string;
  mode: DeployMode;
  /** The new endpoint's name (mode "new"). */
  endpointName: string;
  /** The existing endpoint (modes "variant" and "shadow"). */
  existing: string;
  variantName: string;
  weight: number;
  /** The share of requests a shadow gets a copy of, 0 to 1. */
  sampling: number;
  /** The share of requests captured, 0 to 1 (mode "new"; an existing endpoint keeps its own). */
  capture: number;
  /** The invocation token of a new endpoint; empty: none (loopback only). */
  token: string;
}

/** What deploying does: create an endpoint, or change one. */
export type DeployRequest =
  | { kind: 'create'; body: EndpointIn }
  | { kind: 'update'; name: string; patch: EndpointPatch };

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A name for a version's variant or endpoint: "churn-v3". */
export function defaultName(modelName: string, version: number): string {
  const base = modelName.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+/, '');
  return `${base || 'model'}-v${version}`.slice(0, 64);
}

export function emptyDeployForm(
  modelName: string,
  version: number,
  existing: readonly string[] = []
): IDeployForm {
  const name = defaultName(modelName, version);
  return {
    modelUri: `models:/${modelName}/${version}`,
    mode: 'new',
    endpointName: modelName.replace(/[^A-Za-z0-9_.-]+/g, '-') || name,
    existing: existing[0] ?? '',
    variantName: name,
    weight: 1,
    sampling: 1,
    capture: 0,
    token: ''
  };
}

/** What is wrong with the form, one message per problem (empty: it can be sent). */
export function deployProblems(
  form: IDeployForm,
  existing: readonly string[],
  trans: Pick<TranslationBundle, '__'>
): string[] {
  const problems: string[] = [];
  if (form.mode === 'new') {
    if (!NAME.test(form.endpointName)) {
      problems.push(
        trans.__(
          'The endpoint name takes letters, digits, ".", "_" and "-" (64 at most).'
        )
      );
    } else if (existing.includes(form.endpointName)) {
      problems.push(
        trans.__('An endpoint named %1 exists already.', form.endpointName)
      );
    }
    if (!(form.capture >= 0 && form.capture <= 1)) {
      problems.push(trans.__('The capture share is between 0 and 1.'));
    }
  } else if (!existing.includes(form.existing)) {
    problems.push(trans.__('Choose the endpoint to add the version to.'));
  }
  if (!NAME.test(form.variantName)) {
    problems.push(
      trans.__(
        'The variant name takes letters, digits, ".", "_" and "-" (64 at most).'
      )
    );
  }
  if (form.mode !== 'shadow' && !(form.weight > 0)) {
    problems.push(trans.__('The weight is a number above 0.'));
  }
  if (form.mode === 'shadow' && !(form.sampling > 0 && form.sampling <= 1)) {
    problems.push(trans.__('The sampling share is above 0 and at most 1.'));
  }
  return problems;
}

/** The request that deploys the form's version. */
export function deployRequest(form: IDeployForm): DeployRequest {
  if (form.mode === 'new') {
    const body: EndpointIn = {
      name: form.endpointName,
      variants: [
        {
          name: form.variantName,
          model_uri: form.modelUri,
          role: 'primary',
          weight: form.weight,
          sampling: 1
        }
      ],
      capture: form.capture,
      token: form.token || null,
      task: null,
      description: ''
    };
    return { kind: 'create', body };
  }
  const variant: VariantIn =
    form.mode === 'shadow'
      ? {
          name: form.variantName,
          model_uri: form.modelUri,
          role: 'shadow',
          weight: 1,
          sampling: form.sampling
        }
      : {
          name: form.variantName,
          model_uri: form.modelUri,
          role: 'primary',
          weight: form.weight,
          sampling: 1
        };
  return {
    kind: 'update',
    name: form.existing,
    patch: endpointPatch({ add: [variant] })
  };
}

/** The endpoint the deployed version ends up on. */
export function targetEndpoint(form: IDeployForm): string {
  return form.mode === 'new' ? form.endpointName : form.existing;
}
