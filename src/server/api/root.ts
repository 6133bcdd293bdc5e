import { accountRouter } from './routers/account';
import { adminRouter } from './routers/admin';
import { apiKeysRouter } from './routers/api-keys';
import { connectionsRouter } from './routers/connections';
import { deploymentsRouter } from './routers/deployments';
import { filesRouter } from './routers/files';
import { projectsRouter } from './routers/projects';
import { createCallerFactory, createTRPCRouter } from './trpc';

export const appRouter = createTRPCRouter({
  account: accountRouter,
  apiKeys: apiKeysRouter,
  connections: connectionsRouter,
  deployments: deploymentsRouter,
  files: filesRouter,
  projects: projectsRouter,
  admin: adminRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
