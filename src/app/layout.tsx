import type { Metadata } from 'next';
import './globals.css';
import { TRPCReactProvider } from '@/trpc/react';

export const metadata: Metadata = {
  title: 'Huskit Sites',
  description: 'Put the website you just made on the internet, in one click.',
};

export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body className="font-sans">
        <TRPCReactProvider>{children}</TRPCReactProvider>
      </body>
    </html>
  );
}
