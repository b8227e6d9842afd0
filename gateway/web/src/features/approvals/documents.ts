import { graphql } from '@/graphql/generated'

/**
 * Reports of the leader's organ waiting to be screened: those with a proposal not to
 * accept are the leader's to decide (intake keeps them; routing's inbox does not).
 */
export const SCREENING_CASES = graphql(`
  query ScreeningCases($filter: CaseFilter!) {
    cases(filter: $filter, first: 100) {
      edges {
        node {
          id
          registrationNumber
          organ { code }
          facts { summary notAcceptProposal { reason proposedBy proposedAt } }
        }
      }
    }
  }
`)
