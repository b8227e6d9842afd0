import { cacheExchange, fetchExchange, type ClientOptions } from '@urql/vue'

// Same origin as the page: the gateway serves both the web front end and /graphql.
export const clientOptions: ClientOptions = {
  url: '/graphql',
  exchanges: [cacheExchange, fetchExchange],
  // urql would send queries as GET; POST works whatever the gateway allows for GET.
  preferGetMethod: false,
  fetchOptions: () => ({ credentials: 'same-origin' }),
}
