import { createApp } from 'vue'
import ElementPlus from 'element-plus'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import 'element-plus/dist/index.css'
import dayjs from 'dayjs'
import 'dayjs/locale/zh-cn'
import urql from '@urql/vue'

import App from './App.vue'
import { clientOptions } from './graphql/client'
import './styles.css'

dayjs.locale('zh-cn')
document.title = 'Baton 信访举报协同平台'

createApp(App).use(ElementPlus, { locale: zhCn }).use(urql, clientOptions).mount('#app')
