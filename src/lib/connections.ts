// What a person pastes to connect a platform account (each platform's own schema, in its folder),
// checked the same way in the form and on the server.
import { z } from 'zod';
import { PLATFORMS, type DeploymentPlatform } from './platforms';

type Inputs = { [P in DeploymentPlatform]: (typeof PLATFORMS)[P]['connectionInput'] };
const inputs = Object.values(PLATFORMS).map((p) => p.connectionInput) as Inputs[DeploymentPlatform][];

export const connectionInput = z.discriminatedUnion('platform', inputs as [Inputs[DeploymentPlatform], ...Inputs[DeploymentPlatform][]]);
export type ConnectionInput = z.infer<Inputs[DeploymentPlatform]>;
