import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { SiteEditor } from '@/components/sites/editor';

export const metadata: Metadata = { title: 'Editor · Huskit Sites' };

export default async function EditorPage({ params }: { params: Promise<{ projectId: string }> }) {
  const { projectId } = await params;
  if (!/^[0-9a-f-]{36}$/.test(projectId)) notFound();
  return <SiteEditor projectId={projectId} />;
}
