import { fileURLToPath, URL } from 'node:url'
import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The gateway serves dist/ at "/" and answers GraphQL at "/graphql" on the same origin.
// For `npm run dev`, /graphql is proxied to a running gateway (BATON_GATEWAY_URL).
const gateway = process.env.BATON_GATEWAY_URL ?? 'http://127.0.0.1:8000'

export default defineConfig({
  base: '/',
  plugins: [vue()],
  // vue-i18n's bundler build: Composition API only, messages compiled without eval.
  define: {
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  resolve: {
    alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) },
  },
  server: {
    proxy: { '/graphql': { target: gateway, changeOrigin: true } },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Element Plus is registered whole; a back-office tool on an intranet can afford it.
    chunkSizeWarningLimit: 1500,
  },
})
