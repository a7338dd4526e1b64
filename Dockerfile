# The worker's container image: deploy/k8s's refundworker:latest.
#
#   docker build -t refundworker:latest .     with a registry: Microsoft's SDK and ASP.NET Core runtime images
#   ./build.sh image                          without one: podman, with the local images deploy/images builds
#
# Runs as a non-root numeric user and works on a read-only root file system: the only writable path it needs is
# /tmp (the runtime's diagnostics socket), which `podman run --read-only` mounts as tmpfs and deploy/k8s mounts as an
# emptyDir. Keys and connection strings come from the environment or mounted secrets, never from the image.
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0

FROM ${SDK_IMAGE} AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/ src/
COPY migrations/ migrations/
RUN dotnet publish src/RefundWorker/RefundWorker.csproj -c Release -o /app -p:UseAppHost=false -nologo

FROM ${RUNTIME_IMAGE}
WORKDIR /app
COPY --from=build --chown=0:0 /app ./
# Numeric, so Kubernetes' runAsNonRoot can verify it; the files stay root-owned and read-only to it.
USER 10001:10001
ENV ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_RUNNING_IN_CONTAINER=true \
    HOME=/tmp
EXPOSE 8080
ENTRYPOINT ["dotnet", "/app/RefundWorker.dll"]
CMD ["run"]
