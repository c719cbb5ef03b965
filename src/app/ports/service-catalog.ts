/**
 * What can be released where: the services of a namespace and the versions of a service, as the mesh
 * declares them. The start modal suggests from it and checks a chosen version against it.
 */

/**
 * Services and their versions, per cluster and namespace. Both lists are sorted and without repeats; a
 * namespace the catalog knows nothing of gives empty lists.
 *
 * @example
 * await catalog.services('prod', 'bookinfo') // ['details', 'productpage', 'ratings', 'reviews']
 * await catalog.versions('prod', 'bookinfo', 'reviews') // ['v1', 'v2', 'v3']
 */
export interface ServiceCatalog {
  services(cluster: string, namespace: string): Promise<string[]>;
  versions(cluster: string, namespace: string, service: string): Promise<string[]>;
}
