import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { prefetchTelemetry } from './features/telemetry/api/prefetch-telemetry';
import { bindView } from './lib/nexus';
import { queryClient } from './lib/query-client';
import './styles.css';

bindView();
// The first charts' data is asked for now, alongside loading the page's code (the view is known).
void prefetchTelemetry();
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);
