import { changePasswordInput } from '@/lib/account';
import { changePassword, signOutEverywhere } from '../../auth/accounts';
import { countSessions } from '../../auth/session';
import { createTRPCRouter, sessionProcedure } from '../trpc';

export const accountRouter = createTRPCRouter({
  me: sessionProcedure.query(({ ctx }) => ({ id: ctx.user.id, email: ctx.user.email, role: ctx.user.role })),
  /** How many browsers are signed in (Settings → Sessions). */
  sessions: sessionProcedure.query(async ({ ctx }) => ({ count: await countSessions(ctx.db, ctx.user.id) })),
  /** Ends every session of the user, this one too: the browser is signed out. */
  signOutEverywhere: sessionProcedure.mutation(({ ctx }) => signOutEverywhere(ctx.db, ctx.user.id)),
  /** New password; every other session ends, this one stays. */
  changePassword: sessionProcedure
    .input(changePasswordInput)
    .mutation(({ ctx, input }) =>
      changePassword(ctx.db, ctx.user, input, ctx.auth.kind === 'session' ? ctx.auth.sessionId : null, { ip: ctx.clientIp ?? null }),
    ),
});
