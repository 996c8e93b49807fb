// The floors the integration tier holds the conformance figures to (report.ts figure names;
// share 0..1). Raise a floor when a change lifts its figure; a figure that drops below fails
// test/integration/conformance.test.ts. The integrator adds the modules of other branches.
export const FLOORS: Record<string, number> = {
  'os.os': 1,
  'os.hardware': 1,
  'os.version': 0.95,
  'os.serial': 0.96,
  'os.features': 1,
  'processors.count': 0.92,
  'processors.values': 1,
  'mempools.count': 1,
  'mempools.values': 1,
  'storage.count': 1,
  'storage.values': 1,
  'sensors.classes': 0.68,
  'sensors.values': 0.99,
};
