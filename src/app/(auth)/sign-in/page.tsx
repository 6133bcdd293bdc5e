import type { Metadata } from 'next';
import { AuthForm } from '@/components/auth/auth-form';
import { signInAction } from '../actions';

export const metadata: Metadata = { title: 'Sign in · Huskit Sites' };

export default function SignInPage() {
  return (
    <section className="space-y-6">
      <header className="space-y-1 text-center">
        <h1 className="text-2xl font-semibold tracking-tight">Sign in</h1>
        <p className="text-sm text-neutral-600 dark:text-neutral-400">Welcome back. Your sites are where you left them.</p>
      </header>
      <AuthForm mode="sign-in" action={signInAction} />
    </section>
  );
}
