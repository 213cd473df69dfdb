/**
 * Names for the wire models, taken from the generated OpenAPI types (schema.ts).
 */
import type { components } from './schema';

type Schemas = components['schemas'];

export type Experiment = Schemas['ExperimentOut'];
export type ExperimentList = Schemas['ExperimentListOut'];
export type Run = Schemas['RunOut'];
export type RunStatus = Schemas['RunStatus'];
export type RunList = Schemas['RunListOut'];
export type RunTree = Schemas['RunTreeOut'];
export type MetricSummary = Schemas['MetricSummaryOut'];
export type MetricHistory = Schemas['MetricHistoryOut'];
export type Artifact = Schemas['ArtifactOut'];
export type ArtifactList = Schemas['ArtifactListOut'];

/** A change to an experiment: the fields of the wire model that are given. */
export type ExperimentChange = Partial<Schemas['ExperimentUpdateIn']>;
/** A change to a run: the fields of the wire model that are given. */
export type RunChange = Partial<Schemas['RunUpdateIn']>;

/** A metric value as JSON carries it: NaN and infinities travel as strings. */
export type WireNumber = number | 'NaN' | 'Infinity' | '-Infinity';

/** The number a wire value stands for. */
export function toNumber(value: WireNumber | null | undefined): number {
  if (value === null || value === undefined) {
    return NaN;
  }
  if (typeof value === 'number') {
    return value;
  }
  if (value === 'Infinity') {
    return Infinity;
  }
  if (value === '-Infinity') {
    return -Infinity;
  }
  return NaN;
}
