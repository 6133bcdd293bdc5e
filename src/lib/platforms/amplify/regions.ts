// The AWS regions where Amplify Hosting runs (the commercial partition: AWS General Reference,
// "AWS Amplify endpoints and quotas", and botocore's endpoint data). A region becomes part of the
// API host name (`amplify.{region}.amazonaws.com`), so only these values are ever accepted; shared
// by the server (which refuses anything else) and the browser (a select list in Settings).

export const AMPLIFY_REGIONS = [
  { id: 'us-east-1', label: 'US East (N. Virginia)' },
  { id: 'us-east-2', label: 'US East (Ohio)' },
  { id: 'us-west-1', label: 'US West (N. California)' },
  { id: 'us-west-2', label: 'US West (Oregon)' },
  { id: 'ca-central-1', label: 'Canada (Central)' },
  { id: 'sa-east-1', label: 'South America (São Paulo)' },
  { id: 'eu-west-1', label: 'Europe (Ireland)' },
  { id: 'eu-west-2', label: 'Europe (London)' },
  { id: 'eu-west-3', label: 'Europe (Paris)' },
  { id: 'eu-central-1', label: 'Europe (Frankfurt)' },
  { id: 'eu-south-1', label: 'Europe (Milan)' },
  { id: 'eu-north-1', label: 'Europe (Stockholm)' },
  { id: 'me-south-1', label: 'Middle East (Bahrain)' },
  { id: 'ap-east-1', label: 'Asia Pacific (Hong Kong)' },
  { id: 'ap-south-1', label: 'Asia Pacific (Mumbai)' },
  { id: 'ap-northeast-1', label: 'Asia Pacific (Tokyo)' },
  { id: 'ap-northeast-2', label: 'Asia Pacific (Seoul)' },
  { id: 'ap-northeast-3', label: 'Asia Pacific (Osaka)' },
  { id: 'ap-southeast-1', label: 'Asia Pacific (Singapore)' },
  { id: 'ap-southeast-2', label: 'Asia Pacific (Sydney)' },
] as const;

export type AmplifyRegion = (typeof AMPLIFY_REGIONS)[number]['id'];

const IDS: ReadonlySet<string> = new Set(AMPLIFY_REGIONS.map((r) => r.id));

export function isAmplifyRegion(region: unknown): region is AmplifyRegion {
  return typeof region === 'string' && IDS.has(region);
}

/** `eu-west-1` → `Europe (Ireland)`; the id itself when it is not an Amplify region. */
export function amplifyRegionLabel(region: string): string {
  return AMPLIFY_REGIONS.find((r) => r.id === region)?.label ?? region;
}
