import type { Metadata } from 'next';
import { AuthForm } from '@/components/auth/auth-form';
import { signUpAction } from '../actions';

export const metadata: Metadata = { title: 'Create your account · Huskit Sites' };

export default function SignUpPage() {
  return (
    <section className="space-y-6">
      <header className="space-y-1 text-center">
        <h1 className="text-2xl font-semibold tracking-tight">Create your account</h1>
        <p className="text-sm text-neutral-600 dark:text-neutral-400">Put the site you just made on the internet, in one click.</p>
      </header>
      <AuthForm mode="sign-up" action={signUpAction} />
    </section>
  );
}
