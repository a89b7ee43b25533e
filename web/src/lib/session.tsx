// Who is signed in: the API key lives in session storage (gone with the tab), the role comes from /me.
import { useQueryClient } from "@tanstack/react-query";
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from "react";
import { api, ok, onSignedOut, setApiKey } from "../api/client";
import type { MeRead, Role } from "../api/types";

const STORAGE_KEY = "lockgate.apiKey";
const RANK: Record<Role, number> = { viewer: 0, operator: 1, editor: 2, admin: 3 };

export interface Session {
  me: MeRead | null;
  ready: boolean;
  signIn(key: string): Promise<void>;
  signOut(): void;
  can(role: Role): boolean;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [me, setMe] = useState<MeRead | null>(null);
  const [ready, setReady] = useState(false);

  const signOut = useCallback(() => {
    sessionStorage.removeItem(STORAGE_KEY);
    setApiKey(null);
    setMe(null);
    queryClient.clear();
  }, [queryClient]);

  const signIn = useCallback(async (key: string) => {
    setApiKey(key);
    try {
      const who = await ok(api.GET("/api/v1/me"));
      sessionStorage.setItem(STORAGE_KEY, key);
      setMe(who);
    } catch (error) {
      setApiKey(null);
      throw error;
    }
  }, []);

  useEffect(() => {
    onSignedOut(signOut);
    const stored = sessionStorage.getItem(STORAGE_KEY);
    if (!stored) {
      setReady(true);
      return;
    }
    signIn(stored)
      .catch(() => sessionStorage.removeItem(STORAGE_KEY))
      .finally(() => setReady(true));
  }, [signIn, signOut]);

  const value = useMemo<Session>(
    () => ({ me, ready, signIn, signOut, can: (role) => (me ? RANK[me.role] >= RANK[role] : false) }),
    [me, ready, signIn, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionProvider");
  return session;
}
