import { QueryClient } from '@tanstack/react-query';

/** The app's one react-query client (server state: tasks, agents). */
export const queryClient = new QueryClient({
  defaultOptions: { queries: { retry: 2, refetchOnWindowFocus: false, staleTime: 5_000 } },
});
