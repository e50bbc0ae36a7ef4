import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { prefetchTelemetry } from './features/telemetry/api/prefetch-telemetry';
import { bindView, nexus } from './lib/nexus';
import { queryClient } from './lib/query-client';
import './styles.css';

bindView();
// The first charts' data is asked for now, alongside loading the page's code (the view is known),
// and the Web Worker that prepares the charts starts loading too: both are on the way to the
// first hour on screen.
void prefetchTelemetry();
nexus();
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
