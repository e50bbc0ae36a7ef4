/** React binding of the sign-in store (the identity provider's sign-in). */
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import { signInStore, type SignInSlice } from '../store/sign-in-store';

export function useSignIn<T>(selector: (s: SignInSlice) => T): T {
  return useStore(signInStore, useShallow(selector));
}
