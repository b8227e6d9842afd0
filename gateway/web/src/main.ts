import { createApp } from 'vue'
import { createPinia } from 'pinia'
import ElementPlus, { ElMessage } from 'element-plus'
import 'element-plus/dist/index.css'
import * as Icons from '@element-plus/icons-vue'
import urql from '@urql/vue'

import App from './App.vue'
import { client, connectSession } from './graphql/client'
import { i18n } from './i18n'
import { loginFor, router } from './router'
import { useSessionStore } from './stores/session'
import { usePreferencesStore } from './stores/preferences'
import './styles.css'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia).use(i18n).use(ElementPlus).use(urql, client)
for (const [name, component] of Object.entries(Icons)) app.component(name, component)

// Applies the remembered language (and Element Plus's) before the first page renders.
usePreferencesStore(pinia)

const session = useSessionStore(pinia)
connectSession({
  csrfToken: () => session.csrfToken,
  onSessionLost: () => {
    // Only a live session can be lost; anonymous pages ignore `unauthenticated`.
    if (!session.user) return
    session.clear()
    ElMessage.warning({ message: i18n.global.t('errors.sessionLost'), grouping: true })
    const current = router.currentRoute.value
    if (!current.meta.public) void router.push(loginFor(current))
  },
})

app.use(router)
void router.isReady().then(() => app.mount('#app'))
