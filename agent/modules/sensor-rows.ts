// The row a sensor is stored as (LibreNMS's sensors table) and how a reading becomes its value:
// divisor and multiplier, then a conversion the definition names (µW or mW to dBm).
import type { SensorDef } from '../definitions/types.js';

export interface SensorRow {
  sensor_class: string;
  sensor_type: string;
  sensor_index: string;
  sensor_oid: string;
  sensor_descr: string;
  sensor_divisor: number;
  sensor_multiplier: number;
  sensor_current: number | null;
  sensor_limit: number | null;
  sensor_limit_low: number | null;
  sensor_limit_warn: number | null;
  sensor_limit_low_warn: number | null;
  entPhysicalIndex: string | null;
  /** State sensors: their texts (state_name is sensor_type). */
  states?: SensorDef['states'];
}

/** Limits from the first reading when the device gives none (LibreNMS's defaults): [low, high]. */
export const DEFAULT_LIMITS: Record<string, (v: number) => [number, number]> = {
  temperature: (v) => [v - 10, v + 20],
  fanspeed: (v) => [round2(v * 0.8), round2(v * 1.8)],
};
const round2 = (x: number) => Math.round(x * 100) / 100;

export const NO_LIMITS = {
  sensor_limit: null,
  sensor_limit_low: null,
  sensor_limit_warn: null,
  sensor_limit_low_warn: null,
};

/** A raw reading × multiplier ÷ divisor. */
export const scale = (raw: number, divisor: number, multiplier: number) => (raw * multiplier) / divisor;

/** Conversions a definition can name (`convert`): optical powers given in mW or µW, shown in dBm. */
const CONVERT: Record<NonNullable<SensorDef['convert']>, (v: number) => number> = {
  mw_to_dbm: (v) => 10 * Math.log10(v),
  uw_to_dbm: (v) => 10 * Math.log10(v / 1000),
};

/**
 * A raw reading as stored: × multiplier ÷ divisor, then converted; null when the conversion has
 * no value (the log of 0).
 */
export function scaled(
  raw: number,
  divisor: number,
  multiplier: number,
  convert?: SensorDef['convert'],
): number | null {
  const v = (raw * multiplier) / divisor;
  if (!convert) return v;
  const c = CONVERT[convert](v);
  return Number.isFinite(c) ? Math.round(c * 1e4) / 1e4 : null;
}
